import { Badge, Button, Card, Group, Stack, Tabs, Text } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ErrorState, LoadingState } from "../../components/States";
import { formatMoney } from "../../config";
import { notifyError } from "../../lib/feedback";
import { downloadInvoicePdf, portalApi } from "../api";
import { formatDate, PageTitle } from "../components";
import { INVOICE_COLOURS, invoiceStatus, transactionAmount } from "../logic";
import { useAuth } from "../../auth/AuthContext";
import type { Invoice } from "../api";
import { usePortalCustomer } from "./DashboardPage";
import { PayInvoiceModal } from "./PayInvoice";
import { PaymentMethods, useStripeConfig } from "./PaymentMethods";

/** Billing (spec 07 §6.6): invoices with Paid/Unpaid/Overdue and the PDF; transactions (charges +, credits −). */
export function BillingPage() {
  const { t } = useTranslation("portal");
  const customerId = usePortalCustomer();
  const invoices = useQuery({ queryKey: ["portal", "invoices", customerId], queryFn: () => portalApi.invoices(customerId), enabled: customerId > 0 });
  const transactions = useQuery({ queryKey: ["portal", "transactions", customerId], queryFn: () => portalApi.transactions(customerId), enabled: customerId > 0 });
  const [downloading, setDownloading] = useState<number | null>(null);
  const [paying, setPaying] = useState<Invoice | null>(null);
  const stripeConfig = useStripeConfig();
  const canPay = Boolean(stripeConfig.data?.configured);
  const { user } = useAuth();
  const holder = `${user?.first_name ?? ""} ${user?.last_name ?? ""}`.trim();
  const download = async (id: number) => {
    setDownloading(id);
    try {
      await downloadInvoicePdf(id);
    } catch (error) {
      notifyError(error);
    } finally {
      setDownloading(null);
    }
  };
  return (
    <Stack>
      <PageTitle>{t("billing.title")}</PageTitle>
      <Tabs defaultValue="invoices" keepMounted={false}>
        <Tabs.List grow>
          <Tabs.Tab value="invoices" data-testid="portal-tab-invoices">{t("billing.invoices")}</Tabs.Tab>
          <Tabs.Tab value="transactions" data-testid="portal-tab-transactions">{t("billing.transactions")}</Tabs.Tab>
          <Tabs.Tab value="cards" data-testid="portal-tab-cards">{t("cards.tab")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="invoices" pt="md">
          {invoices.isError ? <ErrorState error={invoices.error} onRetry={() => invoices.refetch()} /> : invoices.isPending ? <LoadingState /> : (
            <Stack gap="sm" data-testid="portal-invoices">
              {!invoices.data.length && <Text c="dimmed">{t("billing.noInvoices")}</Text>}
              {invoices.data.map((invoice) => {
                const status = invoiceStatus(invoice);
                return (
                  <Card key={invoice.invoice_id} withBorder padding="sm" data-testid={`portal-invoice-${invoice.invoice_id}`}>
                    <Group justify="space-between" wrap="nowrap">
                      <div style={{ minWidth: 0 }}>
                        <Text fw={700}>#{invoice.invoice_id} {invoice.title ?? ""}</Text>
                        <Text size="xs" c="dimmed">{t("billing.date")}: {formatDate(invoice.created)} · {t("billing.due")}: {formatDate(invoice.due_date) || "—"}</Text>
                      </div>
                      <Stack gap={4} align="flex-end">
                        <Text fw={700}>{formatMoney(invoice.retail_cost)}</Text>
                        <Badge color={INVOICE_COLOURS[status]} data-testid="invoice-status">{t(`billing.statuses.${status}`)}</Badge>
                      </Stack>
                    </Group>
                    <Group mt="xs" justify="flex-end">
                      {canPay && (status === "unpaid" || status === "overdue") && (
                        <Button size="xs" onClick={() => setPaying(invoice)} data-testid="invoice-pay">{t("cards.payNow")}</Button>
                      )}
                      <Button size="xs" variant="light" leftSection={<IconDownload size={14} />} loading={downloading === invoice.invoice_id}
                        onClick={() => download(invoice.invoice_id)} data-testid="invoice-download">{t("billing.download")}</Button>
                    </Group>
                  </Card>
                );
              })}
              {!canPay && invoices.data.some((i) => !i.paid && !i.void) && <Text size="xs" c="dimmed">{t("billing.payHelp")}</Text>}
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="transactions" pt="md">
          {transactions.isError ? <ErrorState error={transactions.error} onRetry={() => transactions.refetch()} /> : transactions.isPending ? <LoadingState /> : (
            <Stack gap="xs" data-testid="portal-transactions">
              {!transactions.data.length && <Text c="dimmed">{t("billing.noTransactions")}</Text>}
              {transactions.data.map((row) => {
                const { credit, amount } = transactionAmount(row);
                return (
                  <Card key={row.transaction_id} withBorder padding="xs">
                    <Group justify="space-between" wrap="nowrap">
                      <div style={{ minWidth: 0 }}>
                        <Text size="sm" fw={600} truncate>{row.title}</Text>
                        <Text size="xs" c="dimmed">{formatDate(row.created)}{row.invoice_id ? ` · #${row.invoice_id}` : ""}</Text>
                      </div>
                      <Stack gap={2} align="flex-end">
                        <Text size="sm" fw={700} c={credit ? "green" : undefined}>{credit ? "−" : ""}{formatMoney(amount)}</Text>
                        <Badge size="xs" variant="light" color={row.invoice_id ? "gray" : "blue"}>{row.invoice_id ? t("billing.billed") : t("billing.unbilled")}</Badge>
                      </Stack>
                    </Group>
                  </Card>
                );
              })}
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="cards" pt="md">
          <PaymentMethods customerId={customerId} holder={holder} />
        </Tabs.Panel>
      </Tabs>
      {stripeConfig.data?.configured && (
        <PayInvoiceModal invoice={paying} customerId={customerId} config={stripeConfig.data} holder={holder} onClose={() => setPaying(null)} />
      )}
    </Stack>
  );
}
