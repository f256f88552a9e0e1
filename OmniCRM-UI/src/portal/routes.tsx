import { lazy, type ComponentType } from "react";
import { Navigate, type RouteObject } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { isCustomerUser } from "./logic";

function lazyPage<K extends string, M extends Record<K, ComponentType>>(load: () => Promise<M>, name: K) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const PortalLayout = lazyPage(() => import("./PortalLayout"), "PortalLayout");
const DashboardPage = lazyPage(() => import("./pages/DashboardPage"), "DashboardPage");
const ServicesPage = lazyPage(() => import("./pages/ServicesPage"), "ServicesPage");
const UsagePage = lazyPage(() => import("./pages/UsagePage"), "UsagePage");
const BillingPage = lazyPage(() => import("./pages/BillingPage"), "BillingPage");
const TopUpPage = lazyPage(() => import("./pages/TopUpPage"), "TopUpPage");
const AccountPage = lazyPage(() => import("./pages/AccountPage"), "AccountPage");

/** Only subscribers (and staff impersonating one) see the portal; staff are sent to the console. */
function PortalOnly() {
  const { user } = useAuth();
  return isCustomerUser(user) ? <PortalLayout /> : <Navigate to="/" replace />;
}

export const portalRoute: RouteObject = {
  path: "self-care",
  element: <PortalOnly />,
  children: [
    { index: true, element: <DashboardPage /> },
    { path: "services", element: <ServicesPage /> },
    { path: "usage", element: <UsagePage /> },
    { path: "usage/:serviceId", element: <UsagePage /> },
    { path: "billing", element: <BillingPage /> },
    { path: "topup", element: <TopUpPage /> },
    { path: "topup/:serviceId", element: <TopUpPage /> },
    { path: "account", element: <AccountPage /> },
    { path: "*", element: <Navigate to="/self-care" replace /> },
  ],
};
