import { ActionIcon, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title, Tooltip } from "@mantine/core";
import { IconCash, IconDownload, IconMail, IconPlus, IconReceiptRefund, IconSearch, IconX } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { invoicesApi, type Invoice } from "../../api/billing";
import { useAuth } from "../../auth/AuthContext";
import { formatMoney } from "../../config";
import type { ListParams } from "../../lib/listParams";
import { ListFooter, SortableTh } from "../ListControls";
import { ErrorState, LoadingState } from "../States";
import { GenerateInvoiceModal, InvoiceDetailsModal, PayInvoiceModal, useDownload, useInvoiceActions, useInvoiceMutations } from "./InvoiceModals";
import { BILLING_KEY, formatDate, InvoiceStatus, invoiceTitle } from "./shared";
import { StatWidgets } from "./StatWidgets";

export const INVOICE_PAGE_SIZES = [10, 25, 50, 100];

type Flag = "all" | "true" | "false";

function flagOf(params: ListParams, name: string): Flag {
  const values = params.filters[name];
  if (!values || values.length !== 1) return "all";
  return String(values[0]) === "true" ? "true" : "false";
}

/** Invoices: the four widgets, search, filters, sortable list, and every invoice action (spec 07 §2.7-2.15). */
export function InvoicesCard({ params, setParams, customer }: {
  params: ListParams;
  setParams: (change: Partial<ListParams>) => void;
  /** The customer view: scoped list and widgets, customer fixed in the generate modal. */
  customer?: { customer_id: number; customer_name: string };
}) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const customerId = customer?.customer_id;
  const stats = useQuery({ queryKey: [BILLING_KEY, "invoice-stats", customerId ?? "all"], queryFn: () => invoicesApi.stats(customerId) });
  const list = useQuery({
    queryKey: [BILLING_KEY, "invoices", customerId ?? "all", params],
    queryFn: () => invoicesApi.list(params, customerId),
    placeholderData: keepPreviousData,
  });
  const [search, setSearch] = useState(params.search);
  const [voidFlag, setVoidFlag] = useState<Flag>(flagOf(params, "void"));
  const [paidFlag, setPaidFlag] = useState<Flag>(flagOf(params, "paid"));
  useEffect(() => { setSearch(params.search); setVoidFlag(flagOf(params, "void")); setPaidFlag(flagOf(params, "paid")); }, [params]);
  const [generating, setGenerating] = useState(false);
  const [detailsId, setDetailsId] = useState<number | null>(null);
  const [paying, setPaying] = useState<Invoice | null>(null);
  const actionsOf = useInvoiceActions();
  const { busy, download } = useDownload();
  const { email, confirmVoid, confirmRefund } = useInvoiceMutations();

  const apply = () => {
    const filters: ListParams["filters"] = {};
    if (voidFlag !== "all") filters.void = [voidFlag === "true"];
    if (paidFlag !== "all") filters.paid = [paidFlag === "true"];
    setParams({ search: search.trim(), filters });
  };
  const reset = () => setParams({ search: "", filters: {} });
  const s = stats.data;
  const flagData = (yes: string, no: string) => [
    { value: "all", label: t("common.all") }, { value: "true", label: yes }, { value: "false", label: no },
  ];

  return (
    <Stack>
      <StatWidgets testId="invoice-widgets" error={stats.error} items={[
        { key: "total", label: t("money.totalInvoices"), widget: s?.total, countLabel: s && t("money.invoiceCount", { count: s.total.count }) },
        { key: "unpaid", label: t("money.unpaidInvoices"), widget: s?.unpaid, countLabel: s && t("money.invoiceCount", { count: s.unpaid.count }) },
        { key: "this_month", label: t("money.invoicesThisMonth"), widget: s?.this_month, showTrend: true, countLabel: s && t("money.invoiceCount", { count: s.this_month.count }) },
        { key: "last_month", label: t("money.invoicesLastMonth"), widget: s?.last_month, showTrend: true, countLabel: s && t("money.invoiceCount", { count: s.last_month.count }) },
      ]} />
      <Card withBorder>
        <Stack>
          <Group justify="space-between" wrap="wrap">
            <Title order={4}>{t("invoices.title")}</Title>
            {allows("create_customer_invoice") && (
              <Button leftSection={<IconPlus size={16} />} onClick={() => setGenerating(true)} data-testid="generate-open">{t("invoices.generate")}</Button>
            )}
          </Group>
          <Group align="flex-end" wrap="wrap" gap="sm">
            <TextInput leftSection={<IconSearch size={16} />} placeholder={t("invoices.searchPlaceholder")} aria-label={t("common.search")}
              value={search} onChange={(e) => setSearch(e.currentTarget.value)} onKeyDown={(e) => e.key === "Enter" && apply()}
              style={{ flex: "1 1 200px" }} data-testid="invoice-search" />
            <Select label={t("invoices.voidStatus")} data={flagData(t("invoices.voided"), t("invoices.notVoided"))} value={voidFlag}
              onChange={(v) => setVoidFlag((v ?? "all") as Flag)} allowDeselect={false} w={150} data-testid="filter-void" />
            <Select label={t("invoices.paymentStatus")} data={flagData(t("invoices.paid"), t("invoices.unpaid"))} value={paidFlag}
              onChange={(v) => setPaidFlag((v ?? "all") as Flag)} allowDeselect={false} w={150} data-testid="filter-paid" />
            <Button onClick={apply} data-testid="apply-filters">{t("invoices.applyFilters")}</Button>
            <Button variant="default" onClick={reset}>{t("invoices.resetFilters")}</Button>
          </Group>
          {list.isError ? <ErrorState error={list.error} onRetry={() => list.refetch()} /> : list.isPending ? <LoadingState /> :
            !list.data.data.length ? <Text c="dimmed">{t("invoices.empty")}</Text> : (
              <Table.ScrollContainer minWidth={760}>
                <Table striped highlightOnHover data-testid="invoices-table">
                  <Table.Thead>
                    <Table.Tr>
                      <SortableTh column="invoice_id" params={params} onChange={setParams}>{t("invoices.id")}</SortableTh>
                      <SortableTh column="title" params={params} onChange={setParams}>{t("invoices.invoiceTitle")}</SortableTh>
                      <Table.Th>{t("invoices.period")}</Table.Th>
                      <SortableTh column="due_date" params={params} onChange={setParams}>{t("invoices.dueDate")}</SortableTh>
                      <SortableTh column="created" params={params} onChange={setParams}>{t("invoices.created")}</SortableTh>
                      <SortableTh column="retail_cost" params={params} onChange={setParams}>{t("invoices.amount")}</SortableTh>
                      <SortableTh column="paid" params={params} onChange={setParams}>{t("invoices.status")}</SortableTh>
                      <Table.Th>{t("common.actions")}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.data.data.map((invoice) => {
                      const can = actionsOf(invoice);
                      return (
                        <Table.Tr key={invoice.invoice_id} data-testid={`invoice-row-${invoice.invoice_id}`} style={{ cursor: "pointer" }}
                          onClick={() => setDetailsId(invoice.invoice_id)}>
                          <Table.Td>{invoice.invoice_id}</Table.Td>
                          <Table.Td>{invoiceTitle(invoice, t("invoices.voidPrefix"))}</Table.Td>
                          <Table.Td>{invoice.start_date ? `${formatDate(invoice.start_date)} – ${formatDate(invoice.end_date)}` : t("invoices.na")}</Table.Td>
                          <Table.Td>{formatDate(invoice.due_date)}</Table.Td>
                          <Table.Td>{formatDate(invoice.created)}</Table.Td>
                          <Table.Td data-testid="invoice-amount">{formatMoney(invoice.retail_cost)}</Table.Td>
                          <Table.Td><InvoiceStatus invoice={invoice} /></Table.Td>
                          <Table.Td onClick={(e) => e.stopPropagation()}>
                            <Group gap={2} wrap="nowrap">
                              <Tooltip label={t("invoices.download")}>
                                <ActionIcon variant="subtle" loading={busy === invoice.invoice_id} onClick={() => download(invoice.invoice_id)}
                                  aria-label={`${t("invoices.download")} ${invoice.invoice_id}`}><IconDownload size={18} /></ActionIcon>
                              </Tooltip>
                              {can.pay && (
                                <Tooltip label={t("invoices.pay")}>
                                  <ActionIcon variant="subtle" color="green" onClick={() => setPaying(invoice)}
                                    aria-label={`${t("invoices.pay")} ${invoice.invoice_id}`}><IconCash size={18} /></ActionIcon>
                                </Tooltip>
                              )}
                              {can.email && (
                                <Tooltip label={t("invoices.sendEmail")}>
                                  <ActionIcon variant="subtle" onClick={() => email.mutate(invoice)} loading={email.isPending && email.variables?.invoice_id === invoice.invoice_id}
                                    aria-label={`${t("invoices.sendEmail")} ${invoice.invoice_id}`}><IconMail size={18} /></ActionIcon>
                                </Tooltip>
                              )}
                              {can.refund && (
                                <Tooltip label={t("invoices.refund")}>
                                  <ActionIcon variant="subtle" color="grape" onClick={() => confirmRefund(invoice)}
                                    aria-label={`${t("invoices.refund")} ${invoice.invoice_id}`}><IconReceiptRefund size={18} /></ActionIcon>
                                </Tooltip>
                              )}
                              {can.void && (
                                <Tooltip label={t("invoices.void")}>
                                  <ActionIcon variant="subtle" color="red" onClick={() => confirmVoid(invoice)}
                                    aria-label={`${t("invoices.void")} ${invoice.invoice_id}`}><IconX size={18} /></ActionIcon>
                                </Tooltip>
                              )}
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          <ListFooter pagination={list.data?.pagination} params={params} onChange={setParams} choices={INVOICE_PAGE_SIZES} />
        </Stack>
      </Card>
      <GenerateInvoiceModal opened={generating} onClose={() => setGenerating(false)} customer={customer} />
      <InvoiceDetailsModal invoiceId={detailsId} onClose={() => setDetailsId(null)} onPay={(invoice) => { setDetailsId(null); setPaying(invoice); }} />
      <PayInvoiceModal invoice={paying} onClose={() => setPaying(null)} />
    </Stack>
  );
}
