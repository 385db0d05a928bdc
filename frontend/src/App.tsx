import { useEffect, useState } from "react";

interface Health {
  status: string;
  chain: { reachable: boolean; chainId?: number; blockNumber?: number; error?: string };
  store: { ok: boolean; dialect: string; location: string };
}

/** Overview: the coordinator's view of the chain and the store, polled every few seconds. */
export function App() {
  const [health, setHealth] = useState<Health | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      try {
        const res = await fetch("/api/health");
        if (!res.ok) throw new Error(`coordinator answered ${res.status}`);
        const body = (await res.json()) as Health;
        if (!cancelled) {
          setHealth(body);
          setError(undefined);
        }
      } catch (err) {
        if (!cancelled)
          setError(
            `Coordinator unreachable (${(err as Error).message}). Is \`npm start\` running?`,
          );
      }
    };
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);
  return (
    <main>
      <h1>FedLedger</h1>
      {error && <p role="alert">{error}</p>}
      {health && (
        <dl>
          <dt>Status</dt>
          <dd data-testid="health-status">{health.status}</dd>
          <dt>Chain</dt>
          <dd>
            {health.chain.reachable
              ? `chain ${health.chain.chainId}, block ${health.chain.blockNumber}`
              : health.chain.error}
          </dd>
          <dt>Store</dt>
          <dd>
            {health.store.dialect} ({health.store.location})
          </dd>
        </dl>
      )}
    </main>
  );
}
