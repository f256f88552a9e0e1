import { Anchor, Badge, Button, Card, Checkbox, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { modals } from "@mantine/modals";
import { IconMail, IconRefresh } from "@tabler/icons-react";
import { useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { renewalsApi, type Renewal } from "../api/billing";
import { cardLabel, stripeApi } from "../api/stripe";
import { useAuth } from "../auth/AuthContext";
import { InvoicesCard } from "../components/billing/InvoicesCard";
import { TransactionsCard } from "../components/billing/TransactionsCard";
import { ListFooter } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime, formatMoney } from "../config";
import { confirmDanger, notifyError, notifySuccess } from "../lib/feedback";
import { useListParams } from "../lib/useListParams";

/** Billing → Invoices: every customer's invoices (spec 07 §2.6). */
export function InvoicesPage() {
  const { t } = useTranslation();
  const [params, setParams] = useListParams({ per_page: 10, sort: "invoice_id", order: "desc" });
  return (
    <Stack>
      <Title order={2}>{t("invoices.title")}</Title>
      <InvoicesCard params={params} setParams={setParams} />
    </Stack>
  );
}

/** Billing → Transactions: every customer's transactions (spec 07 §4.3). */
export function TransactionsPage() {
  const { t } = useTranslation();
  const [params, setParams] = useListParams({ per_page: 10, sort: "transaction_id", order: "desc" });
  return (
    <Stack>
      <Title order={2}>{t("transactions.title")}</Title>
      <TransactionsCard params={params} setParams={setParams} />
    </Stack>
  );
}

const RENEWAL_STATUS_COLORS: Record<string, string> = { Active: "green", Suspended: "orange" };

/** Billing → Upcoming Auto-Renewals (spec 05 §5): every scheduled renewal, soonest first. */
export function RenewalsPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams({ per_page: 50 });
  const list = useQuery({ queryKey: ["renewals", params], queryFn: () => renewalsApi.list(params), placeholderData: keepPreviousData });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["renewals"] });
  const canChange = allows("update_customer_service");
  const when = (r: Renewal) => `${formatDateTime(r.NextRunTime)}${r.renews_in ? ` (${r.renews_in})` : ""}`;
  const renew = useMutation({
    mutationFn: (r: Renewal) => renewalsApi.renewNow(r.ActionPlanID),
    onSuccess: (job) => {
      notifySuccess(t("renewals.renewed", { id: job.provision_id }));
      modals.open({
        title: t("renewals.renewed", { id: job.provision_id }),
        children: <Anchor component={Link} to={`/provisioning/${job.provision_id}`} onClick={() => modals.closeAll()}>{t("renewals.openJob")}</Anchor>,
      });
      void refresh();
    },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: (r: Renewal) => renewalsApi.remove(r.ActionPlanID),
    onSuccess: () => { notifySuccess(t("renewals.removed")); void refresh(); },
    onError: notifyError,
  });
  const confirmRenew = (r: Renewal) => modals.openConfirmModal({
    title: t("renewals.renewTitle"),
    children: (
      <Stack gap="xs">
        <Text size="sm">{t("renewals.renewMessage", { customer: r.customer_name, service: r.service_name, product: r.product_name ?? t("renewals.na"), cost: r.cost === "N/A" ? t("renewals.na") : formatMoney(r.cost) })}</Text>
        <Text size="sm">{t("renewals.nextRenewal", { when: when(r) })}</Text>
      </Stack>
    ),
    labels: { confirm: t("renewals.confirmRenewal"), cancel: t("common.cancel") },
    confirmProps: { "data-testid": "confirm-renewal" } as never,
    onConfirm: () => renew.mutate(r),
  });
  const confirmRemove = (r: Renewal) => confirmDanger({
    title: t("renewals.removeTitle"),
    message: (
      <Stack gap="xs">
        <Text size="sm">{t("renewals.removeMessage", { customer: r.customer_name, service: r.service_name, when: when(r) })}</Text>
        <Text size="sm" c="orange">{t("renewals.removeWarning")}</Text>
      </Stack>
    ),
    confirmLabel: t("renewals.remove"),
    onConfirm: () => remove.mutate(r),
  });
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{t("renewals.title")}</Title>
        <Button variant="light" leftSection={<IconRefresh size={16} />} onClick={() => refresh()} loading={list.isFetching}>{t("renewals.refresh")}</Button>
      </Group>
      <Card withBorder>
        {list.isError ? <ErrorState error={list.error} onRetry={() => list.refetch()} /> : list.isPending ? <LoadingState /> :
          !list.data.data.length ? <Text c="dimmed">{t("renewals.empty")}</Text> : (
            <Table.ScrollContainer minWidth={820}>
              <Table striped data-testid="renewals-table">
                <Table.Thead><Table.Tr>
                  <Table.Th>{t("renewals.customer")}</Table.Th><Table.Th>{t("renewals.service")}</Table.Th><Table.Th>{t("renewals.product")}</Table.Th>
                  <Table.Th>{t("renewals.cost")}</Table.Th><Table.Th>{t("renewals.renewsIn")}</Table.Th><Table.Th>{t("renewals.status")}</Table.Th>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr></Table.Thead>
                <Table.Tbody>
                  {list.data.data.map((r) => (
                    <Table.Tr key={`${r.ActionPlanID}-${r.NextRunTime}`} data-testid="renewal-row">
                      <Table.Td>{r.customer_id ? <Anchor component={Link} to={`/customers/${r.customer_id}`}>{r.customer_name}</Anchor> : t("renewals.na")}</Table.Td>
                      <Table.Td>{r.customer_id && r.service_id ? <Anchor component={Link} to={`/customers/${r.customer_id}`}>{r.service_name}</Anchor> : r.service_name === "N/A" ? t("renewals.na") : r.service_name}</Table.Td>
                      <Table.Td>{r.product_name}</Table.Td>
                      <Table.Td>{r.cost === "N/A" ? t("renewals.na") : formatMoney(r.cost)}</Table.Td>
                      <Table.Td><Text size="sm">{formatDateTime(r.NextRunTime)}</Text>{r.renews_in && <Text size="xs" c="dimmed">{r.renews_in}</Text>}</Table.Td>
                      <Table.Td><Badge variant="light" color={RENEWAL_STATUS_COLORS[r.service_status] ?? "gray"}>
                        {r.service_status === "Unknown" ? t("renewals.unknown") : t(`services.statuses.${r.service_status}`, { defaultValue: r.service_status })}</Badge></Table.Td>
                      <Table.Td>
                        {canChange && r.service_id && (
                          <Group gap={4} wrap="nowrap">
                            <Button size="compact-sm" variant="light" onClick={() => confirmRenew(r)} disabled={!r.product_id}>{t("renewals.renewNow")}</Button>
                            <Button size="compact-sm" variant="light" color="red" onClick={() => confirmRemove(r)}>{t("renewals.remove")}</Button>
                          </Group>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        <ListFooter pagination={list.data?.pagination} params={params} onChange={setParams} choices={[10, 25, 50, 100]} />
      </Card>
    </Stack>
  );
}

/** Billing → Expiring Cards (spec 07 §1.8): cards expired or expiring soon, reminders one by one or in bulk. */
export function ExpiringCardsPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const [params, setParams] = useListParams({ per_page: 25, sort: "days_until_expiry", filters: { expiry_range: ["60"] } });
  const list = useQuery({ queryKey: ["expiring-cards", params], queryFn: () => stripeApi.expiring(params), placeholderData: keepPreviousData });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const rows = list.data?.data ?? [];
  const notify = useMutation({
    mutationFn: (ids: number[]) => stripeApi.notify(ids),
    onSuccess: (answer) => {
      notifySuccess(t("cards.reminded", { sent: answer.sent.length, skipped: answer.skipped.length }));
      answer.skipped.forEach((skip) => notifyError(new Error(`#${skip.card_id}: ${skip.reason}`)));
      setSelected(new Set());
    },
    onError: notifyError,
  });
  const canNotify = allows("update_customer_stripe_card");
  const filter = (name: string) => (params.filters[name]?.[0] as string | undefined) ?? null;
  const setFilter = (name: string, value: string | null) => {
    const filters = { ...params.filters };
    if (value) filters[name] = [value]; else delete filters[name];
    setParams({ filters });
  };
  const allChecked = rows.length > 0 && rows.every((r) => selected.has(r.card_id));
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{t("cards.expiringTitle")}</Title>
        {canNotify && (
          <Button leftSection={<IconMail size={16} />} disabled={!selected.size} loading={notify.isPending}
            onClick={() => notify.mutate([...selected])} data-testid="send-reminders">{t("cards.sendReminders", { count: selected.size })}</Button>
        )}
      </Group>
      <Group align="flex-end" wrap="wrap">
        <Select label={t("cards.range")} value={filter("expiry_range")} onChange={(v) => setFilter("expiry_range", v)} w={180}
          data={[{ value: "30", label: t("cards.next30") }, { value: "60", label: t("cards.next60") }, { value: "90", label: t("cards.next90") }, { value: "expired", label: t("cards.alreadyExpired") }]} />
        <Select label={t("cards.customerType")} value={filter("customer_account_type")} onChange={(v) => setFilter("customer_account_type", v)} clearable w={180}
          data={[{ value: "Individual", label: t("customers.accountTypes.Individual") }, { value: "Business", label: t("customers.accountTypes.Business") }]} />
        <TextInput label={t("cards.serviceType")} defaultValue={filter("service_type") ?? ""} w={180}
          onBlur={(e) => setFilter("service_type", e.currentTarget.value.trim() || null)} />
      </Group>
      <Card withBorder>
        {list.isError ? <ErrorState error={list.error} onRetry={() => list.refetch()} /> : list.isPending ? <LoadingState /> :
          !rows.length ? <Text c="dimmed">{t("cards.empty")}</Text> : (
            <Table.ScrollContainer minWidth={640}>
              <Table striped data-testid="expiring-table">
                <Table.Thead><Table.Tr>
                  {canNotify && <Table.Th><Checkbox aria-label={t("cards.selectAll")} checked={allChecked}
                    onChange={() => setSelected(allChecked ? new Set() : new Set(rows.map((r) => r.card_id)))} /></Table.Th>}
                  <Table.Th>{t("cards.customer")}</Table.Th><Table.Th>{t("cards.card")}</Table.Th><Table.Th>{t("cards.expiry")}</Table.Th>
                  <Table.Th>{t("cards.daysUntil")}</Table.Th><Table.Th>{t("cards.lastReminder")}</Table.Th><Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr></Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={r.card_id}>
                      {canNotify && <Table.Td><Checkbox aria-label={t("cards.select", { card: cardLabel(r) })} checked={selected.has(r.card_id)}
                        onChange={() => setSelected((cur) => { const next = new Set(cur); if (next.has(r.card_id)) next.delete(r.card_id); else next.add(r.card_id); return next; })} /></Table.Td>}
                      <Table.Td><Anchor component={Link} to={`/customers/${r.customer_id}`}>{r.customer_name}</Anchor></Table.Td>
                      <Table.Td>{cardLabel(r)}</Table.Td>
                      <Table.Td>{r.expiry}</Table.Td>
                      <Table.Td>{r.expired || (r.days_until_expiry ?? 0) < 0 ? <Badge color="red">{t("cards.expired")}</Badge>
                        : <Badge color={(r.days_until_expiry ?? 0) <= 30 ? "orange" : "yellow"} variant="light">{t("cards.days", { count: r.days_until_expiry ?? 0 })}</Badge>}</Table.Td>
                      <Table.Td>{r.last_reminder ?? "—"}</Table.Td>
                      <Table.Td>
                        <Group gap={4} wrap="nowrap">
                          <Button size="compact-sm" variant="light" component={Link} to={`/customers/${r.customer_id}#9`}>{t("cards.update")}</Button>
                          {canNotify && <Button size="compact-sm" variant="subtle" onClick={() => notify.mutate([r.card_id])}>{t("cards.notify")}</Button>}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        <ListFooter pagination={list.data?.pagination} params={params} onChange={setParams} choices={[10, 25, 50, 100]} />
      </Card>
    </Stack>
  );
}
