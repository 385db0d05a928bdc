import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { WagmiProvider } from "wagmi";
import { App } from "./App";
import { ApiError } from "./api/client";
import { wagmiConfig } from "./chain/wagmi-config";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A down coordinator is reported at once; polling brings the page back when it returns.
      retry: (count, err) => !(err instanceof ApiError && err.kind === "unreachable") && count < 2,
      refetchOnWindowFocus: true,
    },
  },
});

const rootElement = document.getElementById("root");
if (!rootElement) throw new Error("index.html has no #root element");
createRoot(rootElement).render(
  <StrictMode>
    <WagmiProvider config={wagmiConfig}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </WagmiProvider>
  </StrictMode>,
);
