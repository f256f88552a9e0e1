import { Anchor, Card, Group, List, SimpleGrid, Stack, Tabs, Text, Title, Tooltip } from "@mantine/core";
import { IconExternalLink } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { dashboardApi, type Dashboard } from "../api/billing";
import { TrendArrow } from "../components/billing/StatWidgets";
import { ErrorState, LoadingState } from "../components/States";
import { config, formatDateTime, formatMoney } from "../config";
import { compactMoney } from "../lib/money";

function Figure({ testId, label, value, link, children }: { testId: string; label: string; value: ReactNode; link: string; children?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid={testId} component={Link} to={link} aria-label={`${label}: ${t("dashboard.open")}`}
      style={{ textDecoration: "none", color: "inherit" }}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>{label}</Text>
      <Text fz={28} fw={700} data-testid="figure-value">{value}</Text>
      {children}
    </Card>
  );
}

/** Revenue by month as bars (plain SVG: one chart does not justify a chart library). */
export function RevenueChart({ series }: { series: NonNullable<Dashboard["revenue"]>["by_month"] }) {
  const { t } = useTranslation();
  const values = series.map((m) => Number(m.amount));
  const max = Math.max(1, ...values.map((v) => Math.abs(v)));
  const width = 36;
  const height = 140;
  return (
    <Card withBorder data-testid="revenue-chart">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700} mb="xs">{t("dashboard.revenueChart")}</Text>
      <div style={{ overflowX: "auto" }}>
        <svg width={series.length * width} height={height + 30} role="img" aria-label={t("dashboard.revenueChart")}>
          {series.map((m, i) => {
            const h = Math.round((Math.max(0, values[i]) / max) * height);
            return (
              <g key={m.month}>
                <rect x={i * width + 6} y={height - h} width={width - 12} height={h} rx={3}
                  fill={i === series.length - 1 ? "var(--mantine-color-brand-6, #405189)" : "var(--mantine-color-gray-5)"}>
                  <title>{`${m.month}: ${formatMoney(m.amount)}`}</title>
                </rect>
                <text x={i * width + width / 2} y={height + 16} fontSize={10} textAnchor="middle" fill="currentColor">{m.month.slice(5)}</text>
              </g>
            );
          })}
        </svg>
      </div>
    </Card>
  );
}

/** The staff home page: the state of the business at a glance, each figure opening the list behind it. */
export function DashboardPage() {
  const { t } = useTranslation();
  const query = useQuery({ queryKey: ["dashboard"], queryFn: dashboardApi.get, refetchInterval: 60_000 });
  if (query.isError) return <ErrorState error={query.error} onRetry={() => query.refetch()} />;
  if (query.isPending) return <LoadingState />;
  const d = query.data;
  const symbol = config.currencySymbol;
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{t("dashboard.title")}</Title>
        <Text size="xs" c="dimmed">{t("dashboard.updated", { time: formatDateTime(d.generated) })}</Text>
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
        {d.active_services && <Figure testId="fig-active-services" label={t("dashboard.activeServices")} value={d.active_services.count.toLocaleString(config.locale)} link={d.active_services.link} />}
        {d.new_customers && <Figure testId="fig-new-customers" label={t("dashboard.newCustomers")} value={d.new_customers.count.toLocaleString(config.locale)} link={d.new_customers.link} />}
        {d.revenue && (
          <Figure testId="fig-revenue" label={t("dashboard.revenue")} value={<span title={formatMoney(d.revenue.this_month)}>{compactMoney(d.revenue.this_month, symbol)}</span>} link={d.revenue.link}>
            <Group gap="xs"><Text size="sm" c="dimmed">{t("dashboard.lastMonth", { amount: compactMoney(d.revenue.last_month, symbol) })}</Text><TrendArrow percent={d.revenue.trend_percent} /></Group>
          </Figure>
        )}
        {d.unpaid && (
          <Figure testId="fig-unpaid" label={t("dashboard.unpaid")} value={<span title={formatMoney(d.unpaid.amount)}>{compactMoney(d.unpaid.amount, symbol)}</span>} link={d.unpaid.link}>
            <Text size="sm" c="dimmed" data-testid="fig-unpaid-count">{t("dashboard.unpaidCount", { count: d.unpaid.count })}</Text>
          </Figure>
        )}
        {d.failed_provisioning && <Figure testId="fig-failed-jobs" label={t("dashboard.failedJobs")} value={<Text span inherit c={d.failed_provisioning.count ? "red" : undefined}>{d.failed_provisioning.count}</Text>} link={d.failed_provisioning.link} />}
        {d.expiring_cards && <Figure testId="fig-expiring-cards" label={t("dashboard.expiringCards")} value={d.expiring_cards.count} link={d.expiring_cards.link} />}
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {d.revenue && <RevenueChart series={d.revenue.by_month} />}
        {d.low_stock && (
          <Card withBorder data-testid="fig-low-stock">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>{t("dashboard.lowStock")}</Text>
            <Text size="xs" c="dimmed" mb="xs">{t("dashboard.lowStockHelp", { threshold: d.low_stock.threshold })}</Text>
            {!d.low_stock.templates.length ? <Text size="sm">{t("dashboard.lowStockNone")}</Text> : (
              <List spacing={4} size="sm">
                {d.low_stock.templates.map((tpl) => (
                  <List.Item key={tpl.inventory_template_id}>
                    <Anchor component={Link} to={tpl.link}>{tpl.item}</Anchor>{" "}
                    <Text span c={tpl.available === 0 ? "red" : "orange"} size="sm">{t("dashboard.available", { count: tpl.available })}</Text>
                  </List.Item>
                ))}
              </List>
            )}
          </Card>
        )}
      </SimpleGrid>
    </Stack>
  );
}

/** Dashboards: the configured Grafana dashboards embedded (spec 01, REACT_APP_GRAFANA_URLS / _LABELS). */
export function GrafanaPage() {
  const { t } = useTranslation();
  const boards = config.grafanaDashboards;
  return (
    <Stack>
      <Title order={2}>{t("grafana.title")}</Title>
      {!boards.length ? <Text c="dimmed" data-testid="grafana-none">{t("grafana.none")}</Text> : (
        <Tabs defaultValue={boards[0].url}>
          <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
            {boards.map((b) => <Tabs.Tab key={b.url} value={b.url}>{b.label}</Tabs.Tab>)}
          </Tabs.List>
          {boards.map((b) => (
            <Tabs.Panel key={b.url} value={b.url} pt="sm">
              <Group justify="flex-end" mb="xs">
                <Tooltip label={t("grafana.openNew")}>
                  <Anchor href={b.url} target="_blank" rel="noreferrer" size="sm"><IconExternalLink size={14} /> {t("grafana.openNew")}</Anchor>
                </Tooltip>
              </Group>
              <iframe title={b.label} src={b.url} style={{ width: "100%", height: "75vh", border: 0 }} loading="lazy" referrerPolicy="no-referrer" />
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
    </Stack>
  );
}
