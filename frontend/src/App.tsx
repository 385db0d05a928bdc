import { ContractsCheck } from "./components/ContractsCheck";
import { Header } from "./components/Header";
import { Notice } from "./components/Notice";
import { AlertsPage } from "./pages/AlertsPage";
import { ChainItemPage } from "./pages/ChainItemPage";
import { ComparePage } from "./pages/ComparePage";
import { LedgerPage } from "./pages/LedgerPage";
import { NodesPage } from "./pages/NodesPage";
import { OverviewPage } from "./pages/OverviewPage";
import { RewardsPage } from "./pages/RewardsPage";
import { TrainingPage } from "./pages/TrainingPage";
import { href, useRoute, type Route } from "./router";

function Page({ route }: { route: Route }) {
  const [first, second] = route.segments;
  switch (first) {
    case undefined:
      return <OverviewPage />;
    case "training":
      return <TrainingPage route={route} />;
    case "compare":
      return <ComparePage route={route} />;
    case "nodes":
      return <NodesPage route={route} />;
    case "ledger":
      return <LedgerPage route={route} />;
    case "rewards":
      return <RewardsPage />;
    case "alerts":
      return <AlertsPage route={route} />;
    case "tx":
    case "block":
      if (second) return <ChainItemPage key={route.path} kind={first} id={second} />;
  }
  return (
    <div className="page">
      <Notice kind="empty" title="No such page" action={<a href={href("/")}>Go to the overview</a>}>
        The address <code>{route.path}</code> is not a page of this dashboard.
      </Notice>
    </div>
  );
}

/** The FedLedger dashboard: header with chain status and wallet, then the current page. */
export function App() {
  const route = useRoute();
  return (
    <div className="app">
      <Header path={route.segments[0] ? `/${route.segments[0]}` : "/"} />
      <main className="app-main">
        <ContractsCheck />
        <Page route={route} />
      </main>
    </div>
  );
}
