import {
  ActionIcon, Badge, Button, Card, Group, Menu, Modal, SegmentedControl, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconCheck, IconDots, IconDownload, IconEye, IconPlus, IconSearch, IconX } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { CREDIT_TYPES, transactionsApi, type Transaction } from "../../api/billing";
import { customersApi } from "../../api/customers";
import { servicesApi } from "../../api/domain";
import { useAuth } from "../../auth/AuthContext";
import { formatMoney } from "../../config";
import { applyApiErrors, confirmDanger, notifyError, notifySuccess } from "../../lib/feedback";
import type { ListParams } from "../../lib/listParams";
import { fromCents, isoDay, previewTax, taxLabel, toCents } from "../../lib/money";
import { ListFooter, SortableTh } from "../ListControls";
import { CustomerPicker } from "./CustomerPicker";
import { ErrorState, LoadingState } from "../States";
import { useDownload } from "./InvoiceModals";
import { BILLING_KEY, formatDate, useRefreshBilling } from "./shared";
import { StatWidgets } from "./StatWidgets";

type Flag = "all" | "true" | "false";

function flagOf(params: ListParams, name: string): Flag {
  const values = params.filters[name];
  if (!values || values.length === 0) return "all";
  if (name === "void" && values.length === 2) return "all";
  return values.length === 1 ? (String(values[0]) === "true" ? "true" : "false") : "all";
}

/** Transactions: the four widgets, search, filters, list, add manually, void (spec 07 §4.4-4.10). */
export function TransactionsCard({ params, setParams, customer }: {
  params: ListParams;
  setParams: (change: Partial<ListParams>) => void;
  customer?: { customer_id: number; customer_name: string };
}) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const refresh = useRefreshBilling();
  const customerId = customer?.customer_id;
  const stats = useQuery({ queryKey: [BILLING_KEY, "transaction-stats", customerId ?? "all"], queryFn: () => transactionsApi.stats(customerId) });
  const list = useQuery({
    queryKey: [BILLING_KEY, "transactions", customerId ?? "all", params],
    queryFn: () => transactionsApi.list(params, customerId),
    placeholderData: keepPreviousData,
  });
  const [search, setSearch] = useState(params.search);
  // The API hides voided rows unless asked: "All" sends both values.
  const [voidFlag, setVoidFlag] = useState<Flag>(params.filters.void ? flagOf(params, "void") : "false");
  const [billedFlag, setBilledFlag] = useState<Flag>(flagOf(params, "billed"));
  useEffect(() => {
    setSearch(params.search);
    setVoidFlag(params.filters.void ? flagOf(params, "void") : "false");
    setBilledFlag(flagOf(params, "billed"));
  }, [params]);
  const [adding, setAdding] = useState(false);
  const [viewing, setViewing] = useState<Transaction | null>(null);
  const { busy, download } = useDownload();
  const voidTx = useMutation({
    mutationFn: (tx: Transaction) => transactionsApi.void(tx.transaction_id),
    onSuccess: (tx) => { notifySuccess(t("transactions.voided", { id: tx.transaction_id })); void refresh(); },
    onError: notifyError,
  });

  const apply = () => {
    const filters: ListParams["filters"] = {};
    filters.void = voidFlag === "all" ? [true, false] : [voidFlag === "true"];
    if (voidFlag === "false") delete filters.void;
    if (billedFlag !== "all") filters.billed = [billedFlag === "true"];
    setParams({ search: search.trim(), filters });
  };
  const reset = () => setParams({ search: "", filters: {} });
  const s = stats.data;
  const flagData = (yes: string, no: string) => [
    { value: "all", label: t("common.all") }, { value: "true", label: yes }, { value: "false", label: no },
  ];

  return (
    <Stack>
      <StatWidgets testId="transaction-widgets" error={stats.error} items={[
        { key: "total", label: t("money.totalTransactions"), widget: s?.total, countLabel: s && t("money.transactionCount", { count: s.total.count }) },
        { key: "unbilled", label: t("money.unbilledTransactions"), widget: s?.unbilled, countLabel: s && t("money.transactionCount", { count: s.unbilled.count }) },
        { key: "this_month", label: t("money.transactionsThisMonth"), widget: s?.this_month, showTrend: true },
        { key: "last_month", label: t("money.transactionsLastMonth"), widget: s?.last_month, showTrend: true },
      ]} />
      <Card withBorder>
        <Stack>
          <Group justify="space-between" wrap="wrap">
            <Title order={4}>{t("transactions.title")}</Title>
            {allows("create_customer_transaction") && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setAdding(true)} data-testid="add-transaction">{t("transactions.add")}</Button>
            )}
          </Group>
          <Group align="flex-end" wrap="wrap" gap="sm">
            <TextInput leftSection={<IconSearch size={16} />} placeholder={t("transactions.searchPlaceholder")} aria-label={t("common.search")}
              value={search} onChange={(e) => setSearch(e.currentTarget.value)} onKeyDown={(e) => e.key === "Enter" && apply()}
              style={{ flex: "1 1 200px" }} />
            <Select label={t("invoices.voidStatus")} data={flagData(t("invoices.voided"), t("invoices.notVoided"))} value={voidFlag}
              onChange={(v) => setVoidFlag((v ?? "all") as Flag)} allowDeselect={false} w={150} data-testid="tx-filter-void" />
            <Select label={t("transactions.invoiceStatus")} data={flagData(t("transactions.billed"), t("transactions.unbilled"))} value={billedFlag}
              onChange={(v) => setBilledFlag((v ?? "all") as Flag)} allowDeselect={false} w={150} data-testid="tx-filter-billed" />
            <Button onClick={apply} data-testid="tx-apply-filters">{t("invoices.applyFilters")}</Button>
            <Button variant="default" onClick={reset}>{t("invoices.resetFilters")}</Button>
          </Group>
          {list.isError ? <ErrorState error={list.error} onRetry={() => list.refetch()} /> : list.isPending ? <LoadingState /> :
            !list.data.data.length ? <Text c="dimmed">{t("transactions.empty")}</Text> : (
              <Table.ScrollContainer minWidth={720}>
                <Table striped data-testid="transactions-table">
                  <Table.Thead>
                    <Table.Tr>
                      <SortableTh column="transaction_id" params={params} onChange={setParams}>{t("common.id")}</SortableTh>
                      <SortableTh column="created" params={params} onChange={setParams}>{t("transactions.date")}</SortableTh>
                      <SortableTh column="title" params={params} onChange={setParams}>{t("invoices.invoiceTitle")}</SortableTh>
                      <Table.Th>{t("transactions.description")}</Table.Th>
                      <SortableTh column="retail_cost" params={params} onChange={setParams}>{t("invoices.amount")}</SortableTh>
                      <Table.Th>{t("invoices.tax")}</Table.Th>
                      <SortableTh column="invoice_id" params={params} onChange={setParams}>{t("transactions.invoice")}</SortableTh>
                      <Table.Th>{t("common.status")}</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.data.data.map((tx) => (
                      <Table.Tr key={tx.transaction_id} data-testid={`tx-row-${tx.transaction_id}`} data-billed={tx.invoice_id ? "yes" : "no"}
                        style={tx.void ? { opacity: 0.5, textDecoration: "line-through" } : undefined}>
                        <Table.Td>{tx.transaction_id}</Table.Td>
                        <Table.Td>{formatDate(tx.created)}</Table.Td>
                        <Table.Td>{tx.title}</Table.Td>
                        <Table.Td><Text size="sm" lineClamp={2}>{tx.description}</Text></Table.Td>
                        <Table.Td c={Number(tx.retail_cost) < 0 ? "green" : undefined} data-testid="tx-amount">{formatMoney(tx.retail_cost)}</Table.Td>
                        <Table.Td>{taxLabel(tx.tax_amount, tx.tax_percentage, formatMoney)}</Table.Td>
                        <Table.Td>{tx.invoice_id ? (
                          <Button variant="subtle" size="compact-sm" onClick={() => download(tx.invoice_id!)} loading={busy === tx.invoice_id}>{tx.invoice_id}</Button>
                        ) : "-"}</Table.Td>
                        <Table.Td data-testid="tx-status">{tx.void ? <Badge color="gray" variant="light">{t("invoices.voided")}</Badge>
                          : tx.invoice_id ? <IconCheck size={18} color="green" aria-label={t("transactions.billed")} /> : "-"}</Table.Td>
                        <Table.Td>
                          <Menu position="bottom-end">
                            <Menu.Target>
                              <ActionIcon variant="subtle" aria-label={t("transactions.menu", { id: tx.transaction_id })}><IconDots size={18} /></ActionIcon>
                            </Menu.Target>
                            <Menu.Dropdown>
                              <Menu.Item leftSection={<IconEye size={16} />} onClick={() => setViewing(tx)}>{t("transactions.viewDetails")}</Menu.Item>
                              {tx.invoice_id && (
                                <Menu.Item leftSection={<IconDownload size={16} />} onClick={() => download(tx.invoice_id!)}>{t("transactions.downloadInvoice")}</Menu.Item>
                              )}
                              {!tx.invoice_id && !tx.void && allows("update_customer_transaction") && (
                                <Menu.Item color="red" leftSection={<IconX size={16} />} onClick={() => confirmDanger({
                                  title: t("transactions.voidTitle", { id: tx.transaction_id }),
                                  message: <Text size="sm">{t("transactions.voidMessage")}</Text>,
                                  confirmLabel: t("transactions.void"),
                                  onConfirm: () => voidTx.mutate(tx),
                                })}>{t("transactions.void")}</Menu.Item>
                              )}
                            </Menu.Dropdown>
                          </Menu>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          <ListFooter pagination={list.data?.pagination} params={params} onChange={setParams} choices={[10, 25, 50, 100]} />
        </Stack>
      </Card>
      <AddTransactionModal opened={adding} onClose={() => setAdding(false)} customer={customer} />
      <TransactionDetails tx={viewing} onClose={() => setViewing(null)} />
    </Stack>
  );
}

function TransactionDetails({ tx, onClose }: { tx: Transaction | null; onClose: () => void }) {
  const { t } = useTranslation();
  const rows: [string, string | null | undefined][] = tx ? [
    [t("common.id"), String(tx.transaction_id)], [t("transactions.customer"), String(tx.customer_id)],
    [t("transactions.type"), tx.transaction_type === "credit" ? t("transactions.credit") : t("transactions.debit")],
    [t("transactions.creditType"), tx.credit_type], [t("invoices.invoiceTitle"), tx.title], [t("transactions.description"), tx.description],
    [t("transactions.retailCost"), formatMoney(tx.retail_cost)], [t("transactions.wholesaleCost"), formatMoney(tx.wholesale_cost)],
    [t("invoices.tax"), taxLabel(tx.tax_amount, tx.tax_percentage, formatMoney)], [t("transactions.service"), tx.service_id ? String(tx.service_id) : null],
    [t("transactions.invoice"), tx.invoice_id ? String(tx.invoice_id) : "-"], [t("transactions.date"), formatDate(tx.created)],
  ] : [];
  return (
    <Modal opened={tx !== null} onClose={onClose} title={t("transactions.detailsTitle", { id: tx?.transaction_id ?? "" })}>
      <SimpleGrid cols={2}>
        {rows.filter(([, v]) => v).map(([label, value]) => (
          <div key={label}><Text size="xs" c="dimmed">{label}</Text><Text size="sm">{value}</Text></div>
        ))}
      </SimpleGrid>
    </Modal>
  );
}

interface TxForm {
  customer_id: string;
  transaction_type: "debit" | "credit";
  credit_type: string;
  title: string;
  description: string;
  retail_cost: string;
  wholesale_cost: string;
  tax_percentage: string;
  service_id: string;
  site_id: string;
  created: string;
}

export function AddTransactionModal({ opened, onClose, customer }: {
  opened: boolean;
  onClose: () => void;
  customer?: { customer_id: number; customer_name: string };
}) {
  const { t } = useTranslation();
  const refresh = useRefreshBilling();
  const [general, setGeneral] = useState("");
  const initial: TxForm = {
    customer_id: customer ? String(customer.customer_id) : "", transaction_type: "debit", credit_type: "", title: "", description: "",
    retail_cost: "", wholesale_cost: "", tax_percentage: "", service_id: "", site_id: "", created: isoDay(0),
  };
  const form = useForm<TxForm>({
    initialValues: initial,
    validate: {
      customer_id: (v) => (v ? null : t("common.required")),
      title: (v) => (v.trim() ? null : t("common.required")),
      retail_cost: (v: string, values: TxForm): string | null => {
        const c = toCents(v);
        return c === null || c < 0 || (c === 0 && values.transaction_type === "credit") ? t("transactions.positive") : null;
      },
      credit_type: (v, values) => (values.transaction_type === "credit" && !v ? t("common.required") : null),
    },
  });
  useEffect(() => {
    if (opened) { form.setValues(initial); form.resetDirty(initial); form.clearErrors(); setGeneral(""); }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opened]);
  const customerId = form.values.customer_id ? Number(form.values.customer_id) : null;
  const services = useQuery({ queryKey: ["services", "customer", customerId], queryFn: () => servicesApi.ofCustomer(customerId!), enabled: opened && customerId !== null });
  const sites = useQuery({ queryKey: ["sites", customerId], queryFn: () => customersApi.sites(customerId!), enabled: opened && customerId !== null });
  const credit = form.values.transaction_type === "credit";
  const tax = credit ? "0.00" : previewTax(form.values.retail_cost, form.values.tax_percentage || 0);
  const retailCents = toCents(form.values.retail_cost);
  const total = retailCents === null || tax === null ? null : fromCents((credit ? -retailCents : retailCents) + (toCents(tax) ?? 0));

  const create = useMutation({
    mutationFn: (v: TxForm) => transactionsApi.create({
      customer_id: Number(v.customer_id), transaction_type: v.transaction_type, title: v.title.trim(),
      description: v.description.trim() || undefined, retail_cost: v.retail_cost.trim(),
      wholesale_cost: v.wholesale_cost.trim() || undefined,
      credit_type: credit ? v.credit_type : undefined,
      tax_percentage: !credit && v.tax_percentage.trim() ? v.tax_percentage.trim() : undefined,
      service_id: v.service_id ? Number(v.service_id) : undefined, site_id: v.site_id ? Number(v.site_id) : undefined,
      created: v.created || undefined,
    }),
    onSuccess: (tx) => { notifySuccess(t("transactions.created", { id: tx.transaction_id })); void refresh(); onClose(); },
    onError: (error) => { setGeneral(applyApiErrors(form, error)); notifyError(error); },
  });

  return (
    <Modal opened={opened} onClose={onClose} title={t("transactions.add")} size="lg" data-testid="add-transaction-modal">
      <form onSubmit={form.onSubmit((v) => create.mutate(v))} noValidate>
        <Stack>
          {customer ? <TextInput label={t("transactions.customer")} value={customer.customer_name} disabled /> : (
            <CustomerPicker label={t("transactions.customer")} value={form.values.customer_id || null}
              onChange={(v) => form.setFieldValue("customer_id", v ?? "")} error={form.errors.customer_id as string | undefined} testId="tx-customer" />
          )}
          <SegmentedControl fullWidth data={[{ value: "debit", label: t("transactions.debit") }, { value: "credit", label: t("transactions.credit") }]}
            {...form.getInputProps("transaction_type")} aria-label={t("transactions.type")} data-testid="tx-type" />
          {credit && (
            <Select label={t("transactions.creditType")} required data={CREDIT_TYPES.map((c) => ({ value: c, label: t(`transactions.creditTypes.${c}`) }))}
              {...form.getInputProps("credit_type")} data-testid="tx-credit-type" />
          )}
          <TextInput label={t("invoices.invoiceTitle")} required maxLength={255} {...form.getInputProps("title")} data-testid="tx-title" />
          <Textarea label={t("transactions.description")} autosize minRows={2} {...form.getInputProps("description")} />
          <SimpleGrid cols={{ base: 1, sm: credit ? 2 : 3 }}>
            <TextInput label={t("transactions.retailCost")} required inputMode="decimal" {...form.getInputProps("retail_cost")} data-testid="tx-retail" />
            <TextInput label={t("transactions.wholesaleCost")} inputMode="decimal" {...form.getInputProps("wholesale_cost")} />
            {!credit && <TextInput label={t("transactions.taxPercentage")} inputMode="decimal" placeholder="0" rightSection="%"
              {...form.getInputProps("tax_percentage")} data-testid="tx-tax" />}
          </SimpleGrid>
          {tax !== null && total !== null && (
            <Text size="sm" c="dimmed" data-testid="tx-tax-preview">{t("transactions.taxPreview", { tax: formatMoney(tax), total: formatMoney(total) })}</Text>
          )}
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <Select label={t("transactions.service")} clearable disabled={customerId === null}
              data={(services.data?.data ?? []).map((s) => ({ value: String(s.service_id), label: s.service_name }))} {...form.getInputProps("service_id")} />
            <Select label={t("transactions.site")} clearable disabled={customerId === null}
              data={(sites.data ?? []).map((s) => ({ value: String(s.site_id), label: s.site_name }))} {...form.getInputProps("site_id")} />
            <TextInput type="date" label={t("transactions.transactionDate")} {...form.getInputProps("created")} />
          </SimpleGrid>
          {general && <Text c="red" size="sm" role="alert">{general}</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
            <Button type="submit" loading={create.isPending} data-testid="tx-submit">{t("transactions.add")}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
