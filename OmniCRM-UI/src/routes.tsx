import { lazy, Suspense, type ComponentType, type ReactNode } from "react";
import { createBrowserRouter, Navigate, Outlet, useLocation, type RouteObject } from "react-router";
import { useAuth } from "./auth/AuthContext";
import type { Requirement } from "./auth/permissions";
import { Shell } from "./components/Shell";
import { LoadingState } from "./components/States";
// Eager: the error element must render even when a page chunk fails to download (e.g. after a release).
import { ForbiddenPage, NotFoundPage, RouteErrorPage } from "./pages/NotFoundPage";
import { isCustomerUser } from "./portal/logic";
import { portalRoute } from "./portal/routes";

/** A page in its own chunk, downloaded the first time one of its routes renders. */
function lazyPage<K extends string, M extends Record<K, ComponentType>>(load: () => Promise<M>, name: K) {
  return lazy(() => load().then((module) => ({ default: module[name] })));
}

const ChangePasswordPage = lazyPage(() => import("./pages/ChangePasswordPage"), "ChangePasswordPage");
const CustomerFormPage = lazyPage(() => import("./pages/CustomerFormPage"), "CustomerFormPage");
const CustomerPage = lazyPage(() => import("./pages/CustomerPage"), "CustomerPage");
const CustomersPage = lazyPage(() => import("./pages/CustomersPage"), "CustomersPage");
const LoginPage = lazyPage(() => import("./pages/LoginPage"), "LoginPage");
const ForgotPasswordPage = lazyPage(() => import("./pages/PasswordResetPages"), "ForgotPasswordPage");
const ResetPasswordPage = lazyPage(() => import("./pages/PasswordResetPages"), "ResetPasswordPage");
const UsersPage = lazyPage(() => import("./pages/UsersPage"), "UsersPage");
const InventoryPage = lazyPage(() => import("./pages/InventoryPage"), "InventoryPage");
const ProductsPage = lazyPage(() => import("./pages/ProductsPage"), "ProductsPage");
const ProvisioningPage = lazyPage(() => import("./pages/ProvisioningPage"), "ProvisioningPage");
const ProvisionJobPage = lazyPage(() => import("./pages/ProvisioningPage"), "ProvisionJobPage");
const ServicePage = lazyPage(() => import("./pages/ServicePage"), "ServicePage");
const ServicesPage = lazyPage(() => import("./pages/ServicesPage"), "ServicesPage");
const SessionsPage = lazyPage(() => import("./pages/SessionsPage"), "SessionsPage");
const CbcListPage = lazyPage(() => import("./pages/CbcPages"), "CbcListPage");
const CbcCreatePage = lazyPage(() => import("./pages/CbcPages"), "CbcCreatePage");
const CbcAlertPage = lazyPage(() => import("./pages/CbcPages"), "CbcAlertPage");
const CbcZonesPage = lazyPage(() => import("./pages/CbcPages"), "CbcZonesPage");
const DashboardPage = lazyPage(() => import("./pages/DashboardPage"), "DashboardPage");
const GrafanaPage = lazyPage(() => import("./pages/DashboardPage"), "GrafanaPage");
const InvoicesPage = lazyPage(() => import("./pages/BillingPages"), "InvoicesPage");
const TransactionsPage = lazyPage(() => import("./pages/BillingPages"), "TransactionsPage");
const RenewalsPage = lazyPage(() => import("./pages/BillingPages"), "RenewalsPage");
const ExpiringCardsPage = lazyPage(() => import("./pages/BillingPages"), "ExpiringCardsPage");
const VerifyEmailPage = lazyPage(() => import("./pages/VerifyEmailPage"), "VerifyEmailPage");

/** Logged-in pages: no session → login (coming back afterwards); a forced password change comes first. */
function RequireSession() {
  const { session } = useAuth();
  const location = useLocation();
  if (!session) {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (session.force_password_change && location.pathname !== "/change-password") {
    return <Navigate to="/change-password" replace />;
  }
  return <Outlet />;
}

function Guard({ requires, children }: { requires: Requirement; children: ReactNode }) {
  const { allows } = useAuth();
  return allows(requires) ? <>{children}</> : <ForbiddenPage />;
}

function ForcedOrShell() {
  const { session } = useAuth();
  if (session?.force_password_change) return <ChangePasswordPage />;
  // Subscribers use the self-care portal, never the console (spec 07 §5.2).
  return isCustomerUser(session?.user) ? <Navigate to="/self-care" replace /> : <Shell />;
}

export const routes: RouteObject[] = [
  {
    // Pages outside the Shell (login, password reset, a forced password change) wait here; the Shell has its own.
    element: <Suspense fallback={<LoadingState />}><Outlet /></Suspense>,
    errorElement: <RouteErrorPage />,
    children: [
      { path: "/login", element: <LoginPage /> },
      { path: "/forgot-password", element: <ForgotPasswordPage /> },
      { path: "/reset-password", element: <ResetPasswordPage /> },
      { path: "/reset-password/:token", element: <ResetPasswordPage /> },
      { path: "/verify-email", element: <VerifyEmailPage /> },
      {
        element: <RequireSession />,
        children: [
          portalRoute,
          {
            element: <ForcedOrShell />,
            errorElement: <RouteErrorPage />,
            children: [
              { index: true, element: <Navigate to="/dashboard" replace /> },
              { path: "dashboard", element: <Guard requires="view_customer"><DashboardPage /></Guard> },
              { path: "dashboards", element: <Guard requires={["view_customer_service", "view_provision"]}><GrafanaPage /></Guard> },
              { path: "billing/invoices", element: <Guard requires="view_customer_invoice"><InvoicesPage /></Guard> },
              { path: "billing/transactions", element: <Guard requires="view_customer_transaction"><TransactionsPage /></Guard> },
              { path: "billing/expiring-cards", element: <Guard requires="view_customer_stripe_card"><ExpiringCardsPage /></Guard> },
              { path: "billing/renewals", element: <Guard requires="view_customer_service"><RenewalsPage /></Guard> },
              { path: "change-password", element: <ChangePasswordPage /> },
              { path: "sessions", element: <SessionsPage /> },
              { path: "customers", element: <Guard requires="view_customer"><CustomersPage /></Guard> },
              { path: "customers/new", element: <Guard requires="create_customer"><CustomerFormPage /></Guard> },
              { path: "customers/:customerId", element: <Guard requires="view_customer"><CustomerPage /></Guard> },
              { path: "customers/:customerId/edit", element: <Guard requires="update_customer"><CustomerFormPage /></Guard> },
              { path: "users", element: <Guard requires="admin"><UsersPage /></Guard> },
              { path: "services", element: <Guard requires="view_customer_service"><ServicesPage /></Guard> },
              { path: "services/:serviceId", element: <Guard requires="view_customer_service"><ServicePage /></Guard> },
              { path: "products", element: <Guard requires="view_product"><ProductsPage /></Guard> },
              { path: "inventory", element: <Guard requires={["view_inventory", "view_inventory_template"]}><InventoryPage /></Guard> },
              { path: "inventory-items-list", element: <Navigate to="/inventory" replace /> },
              { path: "provisioning", element: <Guard requires="view_provision"><ProvisioningPage /></Guard> },
              { path: "provisioning/:provisionId", element: <Guard requires="view_provision"><ProvisionJobPage /></Guard> },
              { path: "cbc", element: <Guard requires="view_cbc_message"><CbcListPage /></Guard> },
              { path: "cbc/new", element: <Guard requires="create_cbc_message"><CbcCreatePage /></Guard> },
              { path: "cbc/zones", element: <Guard requires={["view_cbc_message", "create_cbc_message"]}><CbcZonesPage /></Guard> },
              { path: "cbc/:cbcMessageId", element: <Guard requires="view_cbc_message"><CbcAlertPage /></Guard> },
              { path: "*", element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
];

export const createRouter = () => createBrowserRouter(routes);
