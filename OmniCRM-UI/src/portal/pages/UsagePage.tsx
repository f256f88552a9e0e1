import { Accordion, Badge, Card, Group, Progress, Select, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { ApiError } from "../../api";
import { ErrorState, LoadingState } from "../../components/States";
import { formatDateTime } from "../../config";
import { balanceBars, usageSeries } from "../../lib/balances";
import { portalApi, type UsageHistory } from "../api";
import { BalanceBars, formatDate, PageTitle } from "../components";
import { PORTAL_ROOT } from "../logic";

interface BucketView {
  Uuid?: string;
  ID?: string;
  Weight?: number;
  remaining?: string | number | null;
  used?: string | number | null;
  allowance?: string | number | null;
  unit?: string;
  percent_remaining?: number | null;
  expires_at?: string | null;
  expired?: boolean;
  unlimited?: boolean;
  custom_Name_hr?: string;
  custom_Description_String?: string;
}

const TYPE_KEYS: Record<string, string> = { "*data": "DATA", "*voice": "VOICE", "*sms": "SMS", "*monetary": "MONETARY" };

export function useServiceChoice(path: string) {
  const { serviceId } = useParams();
  const navigate = useNavigate();
  const services = useQuery({ queryKey: ["portal", "services"], queryFn: portalApi.services });
  const chosen = serviceId ? Number(serviceId) : services.data?.[0]?.service_id;
  const select = (
    <Select label={undefined} aria-label="service" value={chosen ? String(chosen) : null} allowDeselect={false} data-testid="portal-service-select"
      data={(services.data ?? []).map((s) => ({ value: String(s.service_id), label: s.service_name }))}
      onChange={(value) => value && navigate(`${PORTAL_ROOT}/${path}/${value}`)} w={{ base: "100%", sm: 320 }} />
  );
  return { services, chosen, select };
}

/** Usage per service (spec 07 §6.5, spec 05 §4): bars per type, then every bucket with expiry and priority. */
export function UsagePage() {
  const { t } = useTranslation("portal");
  const { services, chosen, select } = useServiceChoice("usage");
  const usage = useQuery({
    queryKey: ["usage", chosen], queryFn: () => portalApi.usage(chosen as number), enabled: Boolean(chosen),
    refetchInterval: 30_000, retry: false,
  });
  if (services.isError) return <ErrorState error={services.error} onRetry={() => services.refetch()} />;
  if (services.isPending) return <LoadingState />;
  const bars = balanceBars(usage.data?.totals);
  const series = usageSeries(bars);
  return (
    <Stack data-testid="portal-usage">
      <PageTitle>{t("usage.title")}</PageTitle>
      {select}
      {usage.isPending && chosen ? <LoadingState /> : usage.isError ? (
        usage.error instanceof ApiError && usage.error.status === 404 ? <Text c="dimmed">{t("usage.hidden")}</Text>
          : <ErrorState error={usage.error} onRetry={() => usage.refetch()} />
      ) : usage.data && (
        <>
          <Text size="xs" c="dimmed">{t("usage.updated", { time: formatDateTime(usage.data.fetched_at) })}</Text>
          <BalanceBars totals={usage.data.totals} />
          {series.length > 0 && (
            <Card withBorder data-testid="portal-usage-chart">
              <Text fw={700} mb="xs">{t("usage.chart")}</Text>
              <Stack gap={6}>
                {series.map((row) => (
                  <Group key={row.key} wrap="nowrap" gap="xs">
                    <Text size="sm" w={70}>{t(`usage.types.${row.key}`, { defaultValue: row.key })}</Text>
                    <Progress.Root size={18} style={{ flex: 1 }}>
                      <Progress.Section value={row.used} color="gray"><Progress.Label>{row.used}%</Progress.Label></Progress.Section>
                      <Progress.Section value={row.remaining} color="brand"><Progress.Label>{row.remaining}%</Progress.Label></Progress.Section>
                    </Progress.Root>
                  </Group>
                ))}
              </Stack>
            </Card>
          )}
          <HistoryChart serviceId={chosen as number} />
          <Card withBorder p={0}>
            <Accordion multiple defaultValue={Object.keys(usage.data.BalanceMap ?? {})}>
              {Object.entries((usage.data.BalanceMap ?? {}) as Record<string, BucketView[]>).map(([type, buckets]) => (
                <Accordion.Item key={type} value={type}>
                  <Accordion.Control data-testid={`portal-buckets-${TYPE_KEYS[type] ?? type}`}>
                    {t(`usage.types.${TYPE_KEYS[type] ?? type}`, { defaultValue: type })} · {buckets.length}
                  </Accordion.Control>
                  <Accordion.Panel>
                    <Text size="xs" c="dimmed" mb="xs">{t("usage.priorityHelp")}</Text>
                    <Table.ScrollContainer minWidth={320}>
                      <Table striped fz="sm">
                        <Table.Thead>
                          <Table.Tr><Table.Th>{t("usage.bucket")}</Table.Th><Table.Th>{t("usage.remainingCol")}</Table.Th><Table.Th>{t("services.expiry")}</Table.Th></Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {buckets.map((bucket, index) => (
                            <Table.Tr key={bucket.Uuid ?? index}>
                              <Table.Td>
                                <Text size="sm" fw={500}>{bucket.custom_Name_hr ?? bucket.ID}</Text>
                                <Badge size="xs" variant="light">{t("usage.weight", { weight: bucket.Weight ?? 0 })}</Badge>
                              </Table.Td>
                              <Table.Td>{bucket.unlimited ? t("usage.unlimited") : bucket.custom_Description_String ?? `${bucket.remaining} ${bucket.unit ?? ""}`}
                                {bucket.percent_remaining !== null && bucket.percent_remaining !== undefined && (
                                  <Progress value={bucket.percent_remaining} size="xs" mt={4} color={bucket.percent_remaining > 50 ? "green" : bucket.percent_remaining >= 20 ? "yellow" : "red"} />
                                )}
                              </Table.Td>
                              <Table.Td>{bucket.expired ? <Badge color="gray">{t("usage.expired")}</Badge> : bucket.expires_at ? formatDate(bucket.expires_at) : t("services.noExpiry")}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </Table.ScrollContainer>
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          </Card>
        </>
      )}
    </Stack>
  );
}

/** Usage per day from the service's CDRs (GET /crm/portal/usage_history): one small bar chart per type. */
function HistoryChart({ serviceId }: { serviceId: number }) {
  const { t } = useTranslation("portal");
  const history = useQuery({ queryKey: ["usage-history", serviceId], queryFn: () => portalApi.usageHistory(serviceId), retry: false });
  if (history.isPending || history.isError) return null;
  const data: UsageHistory = history.data;
  const types = Object.keys(data.series);
  return (
    <Card withBorder data-testid="portal-usage-history">
      <Text fw={700} mb="xs">{t("usage.history")}</Text>
      {!types.length && <Text size="sm" c="dimmed">{t("usage.historyEmpty")}</Text>}
      <Stack gap="sm">
        {types.map((type) => {
          const values = data.series[type];
          const max = Math.max(...values, 0) || 1;
          const total = values.reduce((a, b) => a + b, 0);
          return (
            <div key={type} data-testid={`portal-history-${type}`}>
              <Group justify="space-between">
                <Text size="sm">{t(`usage.types.${type}`, { defaultValue: type })}</Text>
                <Text size="xs" c="dimmed">{Math.round(total * 100) / 100} {data.units[type]}</Text>
              </Group>
              <div role="img" aria-label={`${type} ${Math.round(total * 100) / 100} ${data.units[type]}`}
                style={{ display: "flex", alignItems: "flex-end", gap: 2, height: 48 }}>
                {values.map((value, index) => (
                  <div key={data.days[index]} title={`${data.days[index]}: ${value} ${data.units[type]}`}
                    style={{ flex: 1, height: `${Math.max(value > 0 ? 6 : 2, (100 * value) / max)}%`, background: value > 0 ? "var(--mantine-primary-color-filled)" : "var(--mantine-color-default-border)", borderRadius: 2 }} />
                ))}
              </div>
            </div>
          );
        })}
      </Stack>
    </Card>
  );
}
