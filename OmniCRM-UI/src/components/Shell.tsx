import {
  ActionIcon, AppShell, Avatar, Burger, Group, Image, Indicator, Menu, NavLink, Popover, ScrollArea, Text, Tooltip,
  useComputedColorScheme, useMantineColorScheme,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconAntenna, IconApps, IconArrowsExchange, IconBell, IconChartLine, IconCreditCard, IconFileInvoice, IconHome, IconReceipt, IconRepeat, IconBox, IconBuildingWarehouse, IconDevices, IconKey, IconLanguage, IconLogout, IconMoon, IconPackage,
  IconRocket, IconShieldLock, IconSun, IconUserCog, IconUsers, IconWorldWww,
} from "@tabler/icons-react";
import { Suspense, type ComponentType } from "react";
import { useTranslation } from "react-i18next";
import { NavLink as RouterLink, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { visibleMenu, type MenuItem } from "../auth/permissions";
import { logos } from "../branding";
import { config, LANGUAGES } from "../config";
import { changeLanguage } from "../i18n";
import { notifySuccess } from "../lib/feedback";
import { offersTwoFactorSetup } from "../lib/twoFactor";
import { GlobalSearch } from "./GlobalSearch";
import { LoadingState } from "./States";
import { TwoFactorSetup } from "./TwoFactorSetup";

interface NavEntry extends MenuItem {
  icon: ComponentType<{ size?: number }>;
  /** The label's i18n key when it is not `nav.<key>`. */
  labelKey?: string;
  /** A group (e.g. Billing): shown when any child is allowed, opened while one of its pages is shown. */
  children?: NavEntry[];
}

/** Billing (spec 07 §2.6, §4.3, §1.8; spec 05 §5) and the Grafana dashboards page (spec 01). */
const BILLING_NAVIGATION: NavEntry[] = [
  {
    key: "billing", path: "/billing", icon: IconReceipt, labelKey: "billingNav.billing",
    requires: ["view_customer_invoice", "view_customer_transaction", "view_customer_stripe_card", "view_customer_service"],
    children: [
      { key: "invoices", path: "/billing/invoices", icon: IconFileInvoice, requires: "view_customer_invoice", labelKey: "billingNav.invoices" },
      { key: "transactions", path: "/billing/transactions", icon: IconArrowsExchange, requires: "view_customer_transaction", labelKey: "billingNav.transactions" },
      { key: "expiringCards", path: "/billing/expiring-cards", icon: IconCreditCard, requires: "view_customer_stripe_card", labelKey: "billingNav.expiringCards" },
      { key: "renewals", path: "/billing/renewals", icon: IconRepeat, requires: "view_customer_service", labelKey: "billingNav.renewals" },
    ],
  },
  { key: "grafana", path: "/dashboards", icon: IconChartLine, requires: ["view_customer_service", "view_provision"], labelKey: "billingNav.grafana" },
];

/** The left menu; each entry shows only to users holding one of its permissions. */
export const NAVIGATION: NavEntry[] = [
  { key: "dashboard", path: "/dashboard", icon: IconHome, requires: ["view_customer"], labelKey: "billingNav.dashboard" },
  { key: "customers", path: "/customers", icon: IconUsers, requires: ["view_customer"] },
  { key: "services", path: "/services", icon: IconRocket, requires: ["view_customer_service"] },
  { key: "products", path: "/products", icon: IconPackage, requires: ["view_product"] },
  { key: "inventory", path: "/inventory", icon: IconBuildingWarehouse, requires: ["view_inventory", "view_inventory_template"] },
  { key: "provisioning", path: "/provisioning", icon: IconBox, requires: ["view_provision"] },
  { key: "users", path: "/users", icon: IconUserCog, requires: "admin" },
  ...BILLING_NAVIGATION,
  { key: "cbc", path: "/cbc", icon: IconAntenna, requires: ["view_cbc_message"] },
];

export function Shell() {
  const { t, i18n } = useTranslation();
  const [opened, { toggle, close }] = useDisclosure(false);
  const { session, user, permissions, logout } = useAuth();
  // A grace login (2FA required by policy, not set up yet) goes straight to enrolment; closing it logs out.
  const mustEnrol = Boolean(session?.two_factor_enrolment_required);
  const [settingUp2fa, twoFactorSetup] = useDisclosure(false);
  const navigate = useNavigate();
  const location = useLocation();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme("light");
  const menu = visibleMenu(NAVIGATION, permissions);
  const fullName = user ? `${user.first_name ?? ""} ${user.last_name ?? ""}`.trim() || user.email : "";

  const onLogout = async () => {
    await logout();
    notifySuccess(t("auth.loggedOut"));
    navigate("/login", { replace: true });
  };

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 230, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="sm" gap="sm" wrap="nowrap">
          <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t("nav.menu")} />
          <Group gap={6} wrap="nowrap" visibleFrom="xs" style={{ flexShrink: 0 }}>
            <Image src={scheme === "dark" ? logos.light : logos.dark} h={28} w={28} alt="" />
            <Text fw={700} visibleFrom="md">{config.portalName}</Text>
          </Group>
          <div style={{ flex: 1, minWidth: 0, maxWidth: 560 }}>
            <GlobalSearch />
          </div>
          <Group gap={4} wrap="nowrap" ml="auto">
            {config.webApps.length > 0 && (
              <Menu position="bottom-end">
                <Menu.Target>
                  <ActionIcon variant="subtle" aria-label={t("nav.webApps")} visibleFrom="xs"><IconApps size={20} /></ActionIcon>
                </Menu.Target>
                <Menu.Dropdown>
                  {config.webApps.map((app) => (
                    <Menu.Item key={app.url} component="a" href={app.url} target="_blank" rel="noreferrer"
                      leftSection={app.iconPath ? <Image src={`/${app.iconPath}`} w={16} h={16} alt="" /> : <IconWorldWww size={16} />}>
                      {app.name}
                    </Menu.Item>
                  ))}
                </Menu.Dropdown>
              </Menu>
            )}
            <Popover position="bottom-end" withArrow>
              <Popover.Target>
                <ActionIcon variant="subtle" aria-label={t("nav.alerts")} visibleFrom="xs">
                  <Indicator disabled size={8}><IconBell size={20} /></Indicator>
                </ActionIcon>
              </Popover.Target>
              <Popover.Dropdown><Text size="sm">{t("nav.noAlerts")}</Text></Popover.Dropdown>
            </Popover>
            <Menu position="bottom-end">
              <Menu.Target>
                <ActionIcon variant="subtle" aria-label={t("nav.language")} data-testid="language-menu"><IconLanguage size={20} /></ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                {LANGUAGES.map((code) => (
                  <Menu.Item key={code} onClick={() => changeLanguage(code)} fw={i18n.language === code ? 700 : undefined}>
                    {t(`language.${code}`)}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
            <Tooltip label={t("nav.darkMode")}>
              <ActionIcon variant="subtle" aria-label={t("nav.darkMode")} onClick={() => setColorScheme(scheme === "dark" ? "light" : "dark")}>
                {scheme === "dark" ? <IconSun size={20} /> : <IconMoon size={20} />}
              </ActionIcon>
            </Tooltip>
            <Menu position="bottom-end" width={220}>
              <Menu.Target>
                <ActionIcon variant="subtle" size="lg" radius="xl" aria-label={fullName} data-testid="user-menu">
                  <Avatar size={30} radius="xl" color="brand">{(user?.first_name?.[0] ?? "") + (user?.last_name?.[0] ?? "")}</Avatar>
                </ActionIcon>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{fullName}<br />{user?.email}</Menu.Label>
                <Menu.Item leftSection={<IconKey size={16} />} onClick={() => navigate("/change-password")}>{t("auth.changePassword")}</Menu.Item>
                <Menu.Item leftSection={<IconDevices size={16} />} onClick={() => navigate("/sessions")} data-testid="my-sessions">{t("sessions.menu")}</Menu.Item>
                {offersTwoFactorSetup(user?.roles, user?.is_2fa_enabled) && (
                  <Menu.Item leftSection={<IconShieldLock size={16} />} onClick={twoFactorSetup.open} data-testid="enable-2fa">{t("twoFactor.menu")}</Menu.Item>
                )}
                {config.faqsUrl && <Menu.Item component="a" href={config.faqsUrl} target="_blank" rel="noreferrer">{t("nav.faqs")}</Menu.Item>}
                {config.supportUrl && <Menu.Item component="a" href={config.supportUrl} target="_blank" rel="noreferrer">{t("nav.support")}</Menu.Item>}
                <Menu.Divider />
                <Menu.Item color="red" leftSection={<IconLogout size={16} />} onClick={onLogout} data-testid="logout">{t("auth.logout")}</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
        <TwoFactorSetup opened={settingUp2fa || mustEnrol} onClose={mustEnrol ? onLogout : twoFactorSetup.close} />
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <ScrollArea>
          {menu.map((entry) => entry.children ? (
            <NavLink key={entry.key} label={t(entry.labelKey ?? `nav.${entry.key}`)} leftSection={<entry.icon size={18} />}
              defaultOpened={location.pathname.startsWith(`${entry.path}/`)} data-testid={`nav-${entry.key}`}>
              {visibleMenu(entry.children, permissions).map((child) => (
                <NavLink key={child.key} component={RouterLink} to={child.path} label={t(child.labelKey ?? `nav.${child.key}`)}
                  leftSection={<child.icon size={16} />} active={location.pathname === child.path} onClick={close} />
              ))}
            </NavLink>
          ) : (
            <NavLink
              key={entry.key}
              component={RouterLink}
              to={entry.path}
              label={t(entry.labelKey ?? `nav.${entry.key}`)}
              leftSection={<entry.icon size={18} />}
              active={location.pathname === entry.path || location.pathname.startsWith(`${entry.path}/`)}
              onClick={close}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        {/* Pages are loaded on demand: the navigation stays on screen while one downloads. */}
        <Suspense fallback={<LoadingState />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
