import {
  ActionIcon, Alert, Anchor, Badge, Button, Card, Group, Menu, Modal, Progress, SimpleGrid, Stack, Table, Text, Title, Tooltip,
} from "@mantine/core";
import { IconChevronDown, IconCoin, IconPlugConnectedX, IconPlus, IconRefresh, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { ocsApi, provisioningApi, SERVICE_STATUSES, servicesApi, type ActionPlan, type Service } from "../api/domain";
import { useAuth } from "../auth/AuthContext";
import { AssignPlanModal, ProgressStep } from "../components/AssignPlan";
import { ServiceInventory } from "../components/InventoryItems";
import { ErrorState, LoadingState } from "../components/States";
import { TopUpModal } from "../components/TopUp";
import { formatDateTime, formatMoney } from "../config";
import { balanceBars, usageSeries, type BalanceBar } from "../lib/balances";
import { confirmDanger, notifyError, notifySuccess } from "../lib/feedback";

export const SERVICE_STATUS_COLORS: Record<string, string> = {
  Active: "green", Inactive: "gray", Suspended: "yellow", "Pending Cancellation": "orange", Deactivated: "dark",
};
/** Status changes that stop the service for the customer: they are confirmed first. */
const STOPPING = ["Suspended", "Inactive", "Deactivated", "Pending Cancellation"];

/** Service page (spec 04 §13, spec 05 §2-5): details, status actions, live balances, usage, auto-renewals, add-ons. */
export function ServicePage() {
  const { t } = useTranslation();
  const { serviceId } = useParams();
  const id = Number(serviceId);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { allows } = useAuth();
  const [addons, setAddons] = useState(false);
  const [topup, setTopup] = useState(false);
  const [deprovisionJob, setDeprovisionJob] = useState<number | null>(null);
  const service = useQuery({ queryKey: ["service", id], queryFn: () => servicesApi.get(id), enabled: Number.isInteger(id) });

  const setStatus = useMutation({
    mutationFn: (status: string) => servicesApi.update(id, { service_status: status }),
    onSuccess: (_d, status) => {
      notifySuccess(t("services.statusChanged", { status: t(`services.statuses.${status}`, { defaultValue: status }) }));
      void queryClient.invalidateQueries({ queryKey: ["service", id] });
      void queryClient.invalidateQueries({ queryKey: ["services"] });
    },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: () => servicesApi.remove(id),
    onSuccess: (body) => {
      notifySuccess(body.message);
      void queryClient.invalidateQueries({ queryKey: ["services"] });
      navigate(service.data ? `/customers/${service.data.customer_id}#3` : "/services");
    },
    onError: notifyError,
  });

  // Full deprovisioning (spec 06 §11.2): a provisioning job with action "deprovision", followed live here.
  const deprovision = useMutation({
    mutationFn: (svc: Service) => provisioningApi.order({ product_id: svc.product_id, customer_id: svc.customer_id,
      service_id: svc.service_id, action: "deprovision" }),
    onSuccess: (body) => setDeprovisionJob(body.provision_id),
    onError: notifyError,
  });
  const closeDeprovision = () => {
    setDeprovisionJob(null);
    void queryClient.invalidateQueries({ queryKey: ["service", id] });
    void queryClient.invalidateQueries({ queryKey: ["services"] });
  };

  if (service.isError) return <ErrorState error={service.error} onRetry={() => service.refetch()} />;
  if (service.isPending) return <LoadingState />;
  const s = service.data;

  const askStatus = (status: string) => {
    if (!STOPPING.includes(status)) return setStatus.mutate(status);
    confirmDanger({
      title: t("services.changeStatus"),
      message: <Text size="sm">{t("services.statusConfirm", { name: s.service_name, status: t(`services.statuses.${status}`, { defaultValue: status }) })}</Text>,
      confirmLabel: t("common.confirm"),
      onConfirm: () => setStatus.mutate(status),
    });
  };

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2}>
          <Anchor component={Link} to={`/customers/${s.customer_id}#3`} size="sm">{t("services.backToCustomer")}</Anchor>
          <Group gap="sm">
            <Title order={2}>{s.service_name}</Title>
            <Badge color={SERVICE_STATUS_COLORS[s.service_status] ?? "gray"} variant="light" data-testid="service-status">
              {t(`services.statuses.${s.service_status}`, { defaultValue: s.service_status })}
            </Badge>
          </Group>
        </Stack>
        <Group gap="xs">
          {allows("create_customer_transaction") && s.usage_visible !== false && (
            <Button leftSection={<IconCoin size={16} />} onClick={() => setTopup(true)} data-testid="topup-open">{t("topup.open")}</Button>
          )}
          {allows("create_provision") && (
            <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setAddons(true)} data-testid="add-addon">{t("services.addAddon")}</Button>
          )}
          {allows("update_customer_service") && (
            <Menu position="bottom-end">
              <Menu.Target>
                <Button variant="default" rightSection={<IconChevronDown size={14} />} loading={setStatus.isPending}>{t("services.changeStatus")}</Button>
              </Menu.Target>
              <Menu.Dropdown>
                {SERVICE_STATUSES.filter((st) => st !== s.service_status).map((st) => (
                  <Menu.Item key={st} onClick={() => askStatus(st)} color={STOPPING.includes(st) ? "red" : undefined}>
                    {t(`services.statuses.${st}`)}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          )}
          {allows("create_provision") && s.product_id && s.service_status !== "Deactivated" && (
            <Button color="red" variant="outline" leftSection={<IconPlugConnectedX size={16} />} loading={deprovision.isPending}
              data-testid="deprovision-service"
              onClick={() => confirmDanger({
                title: t("services.deprovisionTitle"),
                message: <Text size="sm">{t("services.deprovisionConfirm", { name: s.service_name })}</Text>,
                confirmLabel: t("services.deprovision"),
                onConfirm: () => deprovision.mutate(s),
              })}>{t("services.deprovision")}</Button>
          )}
          {allows("delete_customer_service") && (
            <Button color="red" variant="light" leftSection={<IconTrash size={16} />} loading={remove.isPending}
              onClick={() => confirmDanger({
                title: t("services.deleteTitle"),
                message: <Text size="sm">{t("services.deleteConfirm", { name: s.service_name })}</Text>,
                confirmLabel: t("common.delete"),
                onConfirm: () => remove.mutate(),
              })}>{t("common.delete")}</Button>
          )}
        </Group>
      </Group>

      <Details service={s} />
      <Balances service={s} />
      {s.usage_visible !== false && <ActionPlans service={s} />}
      {allows("view_inventory") && (
        <Card withBorder>
          <Title order={4} mb="sm">{t("inventory.ofService")}</Title>
          <ServiceInventory serviceId={s.service_id} />
        </Card>
      )}
      <TopUpModal service={s} opened={topup} onClose={() => setTopup(false)} />
      <Modal opened={deprovisionJob !== null} onClose={closeDeprovision} title={t("services.deprovisionTitle")} size="lg"
        closeOnClickOutside={false}>
        {deprovisionJob !== null && <ProgressStep provisionId={deprovisionJob} onRetried={setDeprovisionJob} onClose={closeDeprovision} />}
      </Modal>
      <AssignPlanModal opened={addons} onClose={() => setAddons(false)} customerId={s.customer_id} serviceId={s.service_id} />
    </Stack>
  );
}

function Field({ label, value }: { label: string; value?: string | number | null }) {
  return (
    <div>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm" style={{ wordBreak: "break-word" }}>{value === null || value === undefined || value === "" ? "—" : value}</Text>
    </div>
  );
}

function Details({ service: s }: { service: Service }) {
  const { t } = useTranslation();
  return (
    <Card withBorder>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
        <Field label={t("common.id")} value={s.service_id} />
        <Field label={t("services.type")} value={s.service_type} />
        <Field label={t("services.uuid")} value={s.service_uuid} />
        <Field label={t("services.cost")} value={formatMoney(s.retail_cost)} />
        <Field label={t("services.provisioned")} value={formatDateTime(s.service_provisioned_date)} />
        <Field label={t("services.activeDate")} value={formatDateTime(s.service_active_date)} />
        <Field label={t("services.contractEnd")} value={formatDateTime(s.contract_end_date)} />
        <Field label={t("services.notes")} value={s.service_notes} />
      </SimpleGrid>
      {s.service_status === "Pending Cancellation" && s.grace_period_end && (
        <Alert color="orange" mt="sm" data-testid="grace-period">{t("services.graceEnds", { date: formatDateTime(s.grace_period_end) })}</Alert>
      )}
      {!!s.bundled_services?.length && (
        <Text size="sm" mt="sm">{t("services.bundled")}:{" "}
          {s.bundled_services.map((b, i) => (
            <span key={b.service_id}>{i > 0 && ", "}<Anchor component={Link} to={`/services/${b.service_id}`}>{b.service_name}</Anchor></span>
          ))}
        </Text>
      )}
    </Card>
  );
}

function BalanceRow({ bar }: { bar: BalanceBar }) {
  const { t } = useTranslation();
  return (
    <div data-testid={`balance-${bar.key}`}>
      <Group justify="space-between" gap="xs">
        <Text size="sm" fw={700}>{t(`services.units.${bar.key}`, { defaultValue: bar.key })}</Text>
        <Text size="sm">{bar.unlimited ? t("services.unlimited") : bar.remaining}{bar.percent !== null && ` · ${bar.percent}%`}</Text>
      </Group>
      <Progress value={bar.percent ?? 100} color={bar.color} size="lg" striped={bar.percent === null}
        aria-label={`${bar.key} ${bar.percent ?? ""}`} />
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed">{bar.allowance !== null ? t("services.usedOf", { used: bar.used ?? "0", allowance: bar.allowance, unit: bar.unit }) : ""}</Text>
        {bar.nextExpiry && <Text size="xs" c="dimmed">{t("services.expires", { when: formatDateTime(bar.nextExpiry) })}</Text>}
      </Group>
    </div>
  );
}

/** Used vs remaining per unit type, as horizontal stacked bars (SVG, no chart library). */
function UsageChart({ bars }: { bars: BalanceBar[] }) {
  const { t } = useTranslation();
  const series = usageSeries(bars);
  if (!series.length) return null;
  const row = 28;
  return (
    <div>
      <Text size="sm" fw={700} mb={4}>{t("services.usageChart")}</Text>
      <svg role="img" aria-label={t("services.usageChart")} width="100%" height={series.length * row + 20} viewBox={`0 0 400 ${series.length * row + 20}`} preserveAspectRatio="none" data-testid="usage-chart">
        {series.map((s, i) => (
          <g key={s.key} transform={`translate(0 ${i * row})`}>
            <text x="0" y="17" fontSize="11" fill="currentColor">{s.key}</text>
            <rect x="80" y="4" width={(270 * s.used) / 100} height="18" fill="var(--mantine-color-orange-5)" />
            <rect x={80 + (270 * s.used) / 100} y="4" width={(270 * s.remaining) / 100} height="18" fill="var(--mantine-color-green-5)" />
            <text x="358" y="17" fontSize="11" fill="currentColor">{s.used}%</text>
          </g>
        ))}
        <g transform={`translate(80 ${series.length * row + 12})`} fontSize="10" fill="currentColor">
          <rect width="10" height="8" y="-7" fill="var(--mantine-color-orange-5)" /><text x="14">{t("services.used")}</text>
          <rect x="80" width="10" height="8" y="-7" fill="var(--mantine-color-green-5)" /><text x="94">{t("services.remaining")}</text>
        </g>
      </svg>
    </div>
  );
}

function Balances({ service: s }: { service: Service }) {
  const { t } = useTranslation();
  // Live usage polls every refresh_seconds (spec 05 §4) while the page is open; the service body gives the first view.
  const usage = useQuery({
    queryKey: ["usage", s.service_id],
    queryFn: () => servicesApi.usage(s.service_id),
    enabled: Boolean(s.cgrates),
    refetchInterval: (q) => (q.state.error ? false : (q.state.data?.refresh_seconds ?? 3) * 1000),
    retry: false,
  });
  if (s.usage_visible === false) return null;
  const totals = usage.data?.totals ?? s.cgrates?.totals;
  const bars = balanceBars(totals);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="sm">
        <Title order={4}>{t("services.balances")}</Title>
        {usage.data && <Text size="xs" c="dimmed">{t("services.updated", { when: formatDateTime(usage.data.fetched_at) })}</Text>}
      </Group>
      {s.ocs_error ? <Alert color="yellow">{s.ocs_error}</Alert>
        : !bars.length ? <Text c="dimmed" size="sm">{t("services.noBalances")}</Text> : (
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
            <Stack>{bars.map((bar) => <BalanceRow key={bar.key} bar={bar} />)}</Stack>
            <UsageChart bars={bars} />
          </SimpleGrid>
        )}
    </Card>
  );
}

function ActionPlans({ service: s }: { service: Service }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const plans = useQuery({ queryKey: ["action-plans", s.service_id], queryFn: () => ocsApi.actionPlans(s.service_id), enabled: !s.ocs_error });
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["action-plans", s.service_id] });
    void queryClient.invalidateQueries({ queryKey: ["service", s.service_id] });
  };
  const remove = useMutation({
    mutationFn: (plan: ActionPlan) => ocsApi.removeActionPlan(plan.ActionPlanId),
    onSuccess: () => { notifySuccess(t("services.autoRenewCancelled")); refresh(); },
    onError: notifyError,
  });
  const renew = useMutation({
    mutationFn: (plan: ActionPlan) => ocsApi.renewNow(plan.ActionPlanId),
    onSuccess: (body) => { notifySuccess(t("services.renewStarted", { id: body.provision_id })); navigate(`/provisioning/${body.provision_id}`); },
    onError: notifyError,
  });
  const canChange = allows("update_customer_service");
  if (s.ocs_error) return null;
  return (
    <Card withBorder>
      <Title order={4} mb="sm">{t("services.autoRenewals")}</Title>
      {plans.isError ? <ErrorState error={plans.error} onRetry={() => plans.refetch()} /> : plans.isPending ? <LoadingState /> :
        !plans.data.data.length ? <Text c="dimmed" size="sm" data-testid="no-action-plans">{t("services.noAutoRenew")}</Text> : (
          <Table.ScrollContainer minWidth={560}>
            <Table data-testid="action-plans">
              <Table.Thead>
                <Table.Tr><Table.Th>{t("services.plan")}</Table.Th><Table.Th>{t("services.cost")}</Table.Th><Table.Th>{t("services.nextRun")}</Table.Th><Table.Th>{t("common.actions")}</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {plans.data.data.map((plan) => (
                  <Table.Tr key={plan.ActionPlanId}>
                    <Table.Td><Text size="sm">{plan.product_name ?? plan.PlanName}</Text><Text size="xs" c="dimmed">{plan.ActionPlanId}</Text></Table.Td>
                    <Table.Td>{formatMoney(plan.retail_cost)}</Table.Td>
                    <Table.Td>{plan.custom_NextExecTime_hr || formatDateTime(plan.NextExecTime)}</Table.Td>
                    <Table.Td>
                      {canChange && (
                        <Group gap={4} wrap="nowrap">
                          <Tooltip label={t("services.renewNow")}>
                            <ActionIcon variant="subtle" aria-label={t("services.renewNow")} loading={renew.isPending && renew.variables?.ActionPlanId === plan.ActionPlanId}
                              onClick={() => confirmDanger({
                                title: t("services.renewNow"), confirmLabel: t("services.renewNow"),
                                message: <Text size="sm">{t("services.renewConfirm", { plan: plan.product_name ?? plan.PlanName })}</Text>,
                                onConfirm: () => renew.mutate(plan),
                              })}><IconRefresh size={18} /></ActionIcon>
                          </Tooltip>
                          <Tooltip label={t("services.cancelAutoRenew")}>
                            <ActionIcon variant="subtle" color="red" aria-label={t("services.cancelAutoRenew")} data-testid="cancel-auto-renew"
                              loading={remove.isPending && remove.variables?.ActionPlanId === plan.ActionPlanId}
                              onClick={() => confirmDanger({
                                title: t("services.cancelAutoRenew"), confirmLabel: t("services.cancelAutoRenew"),
                                message: <Text size="sm">{t("services.cancelConfirm", { plan: plan.product_name ?? plan.PlanName })}</Text>,
                                onConfirm: () => remove.mutate(plan),
                              })}><IconTrash size={18} /></ActionIcon>
                          </Tooltip>
                        </Group>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
    </Card>
  );
}
