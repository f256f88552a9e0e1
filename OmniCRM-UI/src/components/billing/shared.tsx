import { Badge, Group } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import type { Invoice } from "../../api/billing";
import { config } from "../../config";

/** Every billing query key starts with "billing": one invalidation refreshes lists, widgets and headers. */
export const BILLING_KEY = "billing";

export function useRefreshBilling() {
  const queryClient = useQueryClient();
  return () => Promise.all([
    queryClient.invalidateQueries({ queryKey: [BILLING_KEY] }),
    queryClient.invalidateQueries({ queryKey: ["customer"] }),
  ]);
}

/** A date without the time, in the operator's locale (the API sends naive UTC). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(config.locale, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

export const INVOICE_STATUS_COLORS: Record<string, string> = { Paid: "green", Unpaid: "orange", Refunded: "grape" };

export function InvoiceStatus({ invoice }: { invoice: Invoice }) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="wrap" miw={90}>
      {invoice.void ? <Badge color="gray" variant="light">{t("invoices.voided")}</Badge> : (
        <Badge color={INVOICE_STATUS_COLORS[invoice.status] ?? "gray"} variant="light" data-testid="invoice-status">
          {t(`invoices.${invoice.status.toLowerCase()}`, { defaultValue: invoice.status })}
        </Badge>
      )}
      {invoice.overdue && <Badge color="red" variant="filled">{t("invoices.overdue")}</Badge>}
    </Group>
  );
}

export function invoiceTitle(invoice: Invoice, voidPrefix: string): string {
  const title = invoice.title ?? "";
  return invoice.void ? `${voidPrefix} ${title}` : title;
}
