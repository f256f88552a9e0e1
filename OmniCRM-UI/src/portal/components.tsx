import { Alert, Badge, Card, Group, Progress, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Service } from "../api/domain";
import { config, formatMoney } from "../config";
import { balanceBars } from "../lib/balances";
import type { BalanceTotal } from "../api/domain";
import type { PortalAlert } from "./api";
import { alertMessage, autoRenews, daysUntil, formatDay, INDICATOR_COLOURS, PORTAL_ROOT, serviceIndicator } from "./logic";

export const formatDate = (iso: string | null | undefined) => formatDay(iso, config.locale);

export function PageTitle({ children, right }: { children: ReactNode; right?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="nowrap">
      <Title order={2} size="h3">{children}</Title>
      {right}
    </Group>
  );
}

/** One progress bar per balance type (remaining share, colour band green/yellow/red as spec 05 §4.4). */
export function BalanceBars({ totals, testPrefix = "portal-balance" }: { totals: Record<string, BalanceTotal> | undefined | null; testPrefix?: string }) {
  const { t } = useTranslation("portal");
  const bars = balanceBars(totals);
  if (!bars.length) return <Text c="dimmed" size="sm">{t("usage.noBalances")}</Text>;
  return (
    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
      {bars.map((bar) => (
        <Card key={bar.key} withBorder padding="sm" data-testid={`${testPrefix}-${bar.key}`}>
          <Group justify="space-between" mb={4} wrap="nowrap">
            <Text fw={700}>{t(`usage.types.${bar.key}`, { defaultValue: bar.label })}</Text>
            <Text fw={700} data-testid={`${testPrefix}-${bar.key}-remaining`}>{bar.unlimited ? t("usage.unlimited") : bar.key === "MONETARY" ? formatMoney(bar.remaining.replace(/[^\d.-]/g, "") || bar.remaining) : bar.remaining}</Text>
          </Group>
          <Progress value={bar.percent ?? 100} color={bar.color} size="lg" radius="xl" aria-label={bar.label} />
          <Group justify="space-between" mt={4}>
            <Text size="xs" c="dimmed">{bar.percent !== null ? `${bar.percent}%` : ""}{bar.used !== null && bar.allowance !== null ? ` · ${t("usage.used", { used: `${bar.used} ${bar.unit}`, allowance: `${bar.allowance} ${bar.unit}` })}` : ""}</Text>
            {bar.nextExpiry && <Text size="xs" c="dimmed">{t("usage.expires", { date: formatDate(bar.nextExpiry) })}</Text>}
          </Group>
        </Card>
      ))}
    </SimpleGrid>
  );
}

export function AlertList({ alerts }: { alerts: PortalAlert[] }) {
  const { t } = useTranslation("portal");
  if (!alerts.length) return <Text c="dimmed" size="sm" data-testid="portal-no-alerts">{t("dashboard.noAlerts")}</Text>;
  return (
    <Stack gap="xs" data-testid="portal-alerts">
      {alerts.map((alert, index) => {
        const { key, values } = alertMessage(alert);
        if (values.amount !== undefined) values.amount = formatMoney(values.amount);
        const target = alert.invoice_id ? `${PORTAL_ROOT}/billing` : alert.kind === "low_balance" ? `${PORTAL_ROOT}/usage/${alert.service_id}` : `${PORTAL_ROOT}/services`;
        return (
          <Alert key={`${alert.kind}-${index}`} color={alert.severity === "error" ? "red" : "yellow"} icon={<IconAlertTriangle size={18} />} p="xs"
            data-testid={`portal-alert-${alert.kind}`}>
            <Text size="sm" component={Link} to={target} c="inherit" td="none">{t(key, values)}</Text>
          </Alert>
        );
      })}
    </Stack>
  );
}

export function ServiceStatusBadge({ service }: { service: Service }) {
  const { t } = useTranslation("portal");
  const indicator = serviceIndicator(service);
  return <Badge color={INDICATOR_COLOURS[indicator]} data-testid="service-indicator">{t(`services.indicator.${indicator}`)}</Badge>;
}

export function ServiceFacts({ service }: { service: Service }) {
  const { t } = useTranslation("portal");
  const days = daysUntil(service.service_deactivate_date);
  const renews = autoRenews(service);
  const rows: [string, ReactNode][] = [
    [t("services.created"), formatDate(service.service_active_date ?? service.created ?? null) || "—"],
    [t("services.expiry"), service.service_deactivate_date ? `${formatDate(service.service_deactivate_date)}${days !== null ? ` (${days})` : ""}` : t("services.noExpiry")],
    [t("services.monthlyCost"), formatMoney(service.retail_cost ?? "0")],
    [t("services.autoRenew"), service.cgrates === undefined ? "—" : renews ? t("services.enabled") : t("services.disabled")],
  ];
  return (
    <Stack gap={2}>
      {rows.map(([label, value]) => (
        <Group key={label} justify="space-between" wrap="nowrap">
          <Text size="sm" c="dimmed">{label}</Text>
          <Text size="sm" fw={500} ta="right">{value}</Text>
        </Group>
      ))}
    </Stack>
  );
}
