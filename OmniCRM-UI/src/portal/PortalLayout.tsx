import { ActionIcon, Alert, Box, Button, Group, Image, Menu, NavLink, Paper, Stack, Text, UnstyledButton } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { IconChartBar, IconCreditCard, IconHome, IconLanguage, IconLogout, IconPlus, IconRocket, IconUser, IconUserShield, IconWifiOff } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { Suspense, useEffect, useState, type ComponentType } from "react";
import { useTranslation } from "react-i18next";
import { NavLink as RouterLink, Outlet, useLocation, useNavigate } from "react-router";
import { useAuth } from "../auth/AuthContext";
import { logos } from "../branding";
import { LoadingState } from "../components/States";
import { config, LANGUAGES } from "../config";
import { changeLanguage } from "../i18n";
import { notifyError, notifySuccess } from "../lib/feedback";
import { stopImpersonation } from "./impersonation";
import { PORTAL_ROOT } from "./logic";
import { clearOfflineCache, registerPortalWorker, useOnline } from "./offline";

interface Entry { key: string; path: string; icon: ComponentType<{ size?: number }> }

export const PORTAL_NAV: Entry[] = [
  { key: "dashboard", path: PORTAL_ROOT, icon: IconHome },
  { key: "services", path: `${PORTAL_ROOT}/services`, icon: IconRocket },
  { key: "usage", path: `${PORTAL_ROOT}/usage`, icon: IconChartBar },
  { key: "topup", path: `${PORTAL_ROOT}/topup`, icon: IconPlus },
  { key: "billing", path: `${PORTAL_ROOT}/billing`, icon: IconCreditCard },
  { key: "account", path: `${PORTAL_ROOT}/account`, icon: IconUser },
];

const activeFor = (pathname: string, entry: Entry) =>
  entry.path === PORTAL_ROOT ? pathname === PORTAL_ROOT || pathname === `${PORTAL_ROOT}/` : pathname.startsWith(entry.path);

/** The self-care portal's frame (spec 07 §6.2, §6.11): phone first with a bottom tab bar, a side menu from 768 px. */
export function PortalLayout() {
  const { t, i18n } = useTranslation("portal");
  const { session, user, logout } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const wide = useMediaQuery("(min-width: 48em)");
  const online = useOnline();
  const [returning, setReturning] = useState(false);
  const impersonator = session?.impersonator;
  const name = user ? `${user.first_name ?? ""} ${user.last_name ?? ""}`.trim() || user.email : "";

  useEffect(() => { registerPortalWorker(); }, []);

  const onLogout = async () => {
    await clearOfflineCache();
    await logout();
    navigate("/login", { replace: true });
  };

  const onReturn = async () => {
    setReturning(true);
    try {
      await clearOfflineCache();
      const { session: staff, customerId } = await stopImpersonation();
      queryClient.clear();
      notifySuccess(t("impersonation.ended"));
      navigate(staff ? (customerId ? `/customers/${customerId}` : "/") : "/login", { replace: true });
    } catch (error) {
      notifyError(error);
    } finally {
      setReturning(false);
    }
  };

  const links = PORTAL_NAV.map((entry) => (
    <NavLink key={entry.key} component={RouterLink} to={entry.path} label={t(`nav.${entry.key}`)} leftSection={<entry.icon size={18} />}
      active={activeFor(location.pathname, entry)} data-testid={`portal-nav-${entry.key}`} />
  ));

  return (
    <Box mih="100vh" pb={wide ? 0 : 72} data-testid="portal" bg="var(--mantine-color-body)">
      {impersonator && (
        <Alert color="yellow" radius={0} icon={<IconUserShield />} data-testid="impersonation-banner" py="xs">
          <Group justify="space-between" gap="xs">
            <Text size="sm" fw={600}>{t("impersonation.banner", { name: name || user?.email, staff: impersonator.email })}</Text>
            <Button size="xs" color="dark" onClick={onReturn} loading={returning} data-testid="return-to-console">{t("impersonation.return")}</Button>
          </Group>
        </Alert>
      )}
      <Group component="header" h={56} px="md" justify="space-between" wrap="nowrap"
        style={{ borderBottom: "1px solid var(--mantine-color-default-border)", position: "sticky", top: 0, zIndex: 50, background: "var(--mantine-color-body)" }}>
        <Group gap={8} wrap="nowrap">
          <Image src={logos.dark} h={28} w={28} alt="" />
          <Text fw={700} truncate>{config.selfCareName}</Text>
        </Group>
        <Group gap={4} wrap="nowrap">
          <Menu position="bottom-end">
            <Menu.Target>
              <ActionIcon variant="subtle" aria-label={t("account.language")} data-testid="portal-language"><IconLanguage size={20} /></ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {LANGUAGES.map((code) => (
                <Menu.Item key={code} onClick={() => changeLanguage(code)} fw={i18n.language === code ? 700 : undefined}>{i18n.t(`language.${code}`)}</Menu.Item>
              ))}
            </Menu.Dropdown>
          </Menu>
          {!impersonator && (
            <ActionIcon variant="subtle" aria-label={t("nav.logout")} onClick={onLogout} data-testid="portal-logout"><IconLogout size={20} /></ActionIcon>
          )}
        </Group>
      </Group>
      {!online && (
        <Alert color="gray" radius={0} icon={<IconWifiOff />} data-testid="offline-notice">{t("offline")}</Alert>
      )}
      <Group align="flex-start" wrap="nowrap" gap={0} maw={1200} mx="auto">
        {wide && (
          <Stack component="nav" aria-label={t("nav.menu")} w={220} p="sm" gap={2} style={{ position: "sticky", top: 56 }}>
            {links}
          </Stack>
        )}
        <Box component="main" p="md" style={{ flex: 1, minWidth: 0 }}>
          <Suspense fallback={<LoadingState />}>
            <Outlet />
          </Suspense>
        </Box>
      </Group>
      {!wide && (
        <Paper component="nav" aria-label={t("nav.menu")} shadow="md" radius={0} withBorder
          style={{ position: "fixed", bottom: 0, left: 0, right: 0, zIndex: 60, paddingBottom: "env(safe-area-inset-bottom)" }}>
          <Group grow gap={0} wrap="nowrap">
            {PORTAL_NAV.map((entry) => {
              const active = activeFor(location.pathname, entry);
              return (
                <UnstyledButton key={entry.key} component={RouterLink} to={entry.path} py={8} data-testid={`portal-tab-${entry.key}`}
                  aria-current={active ? "page" : undefined}
                  style={{ display: "flex", flexDirection: "column", alignItems: "center", color: active ? "var(--mantine-primary-color-filled)" : "var(--mantine-color-dimmed)" }}>
                  <entry.icon size={22} />
                  <Text size="10px" fw={active ? 700 : 500} mt={2}>{t(`nav.${entry.key}`)}</Text>
                </UnstyledButton>
              );
            })}
          </Group>
        </Paper>
      )}
    </Box>
  );
}
