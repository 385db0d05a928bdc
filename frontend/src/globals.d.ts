/** The deployment JSON named by DEPLOYMENT_FILE when Vite started (see vite.config.ts), or null. */
declare const __FEDLEDGER_DEPLOYMENT__: unknown;

interface ImportMetaEnv {
  readonly VITE_CHAIN_RPC_URL: string;
  readonly VITE_SEPOLIA_RPC_URL: string;
}
