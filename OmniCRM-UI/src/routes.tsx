import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { createBrowserRouter, Navigate, Outlet, useLocation, type RouteObject } from "react-router";
import { useAuth } from "./auth/AuthContext";
import type { Requirement } from "./auth/permissions";
import { Shell } from "./components/Shell";
import { ComingSoon } from "./components/States";
import { ChangePasswordPage } from "./pages/ChangePasswordPage";
import { CustomerFormPage } from "./pages/CustomerFormPage";
import { CustomerPage } from "./pages/CustomerPage";
import { CustomersPage } from "./pages/CustomersPage";
import { LoginPage } from "./pages/LoginPage";
import { ForbiddenPage, NotFoundPage, RouteErrorPage } from "./pages/NotFoundPage";
import { UsersPage } from "./pages/UsersPage";

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

function Placeholder({ titleKey }: { titleKey: string }) {
  const { t } = useTranslation();
  return <ComingSoon title={t(titleKey)} />;
}

function ForcedOrShell() {
  const { session } = useAuth();
  return session?.force_password_change ? <ChangePasswordPage /> : <Shell />;
}

export const routes: RouteObject[] = [
  {
    errorElement: <RouteErrorPage />,
    children: [
      { path: "/login", element: <LoginPage /> },
      {
        element: <RequireSession />,
        children: [
          {
            element: <ForcedOrShell />,
            errorElement: <RouteErrorPage />,
            children: [
              { index: true, element: <Navigate to="/customers" replace /> },
              { path: "change-password", element: <ChangePasswordPage /> },
              { path: "customers", element: <Guard requires="view_customer"><CustomersPage /></Guard> },
              { path: "customers/new", element: <Guard requires="create_customer"><CustomerFormPage /></Guard> },
              { path: "customers/:customerId", element: <Guard requires="view_customer"><CustomerPage /></Guard> },
              { path: "customers/:customerId/edit", element: <Guard requires="update_customer"><CustomerFormPage /></Guard> },
              { path: "users", element: <Guard requires="admin"><UsersPage /></Guard> },
              { path: "services", element: <Guard requires="view_customer_service"><Placeholder titleKey="nav.services" /></Guard> },
              { path: "products", element: <Guard requires="view_product"><Placeholder titleKey="nav.products" /></Guard> },
              { path: "inventory", element: <Guard requires={["view_inventory", "view_inventory_template"]}><Placeholder titleKey="nav.inventory" /></Guard> },
              { path: "inventory-items-list", element: <Navigate to="/inventory" replace /> },
              { path: "provisioning", element: <Guard requires="view_provision"><Placeholder titleKey="nav.provisioning" /></Guard> },
              { path: "*", element: <NotFoundPage /> },
            ],
          },
        ],
      },
    ],
  },
];

export const createRouter = () => createBrowserRouter(routes);
