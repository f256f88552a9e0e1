import { Badge, Group, Stack, Text, Title, Tooltip } from "@mantine/core";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Customer } from "../../api/customers";
import { useAuth } from "../../auth/AuthContext";
import { formatMoney } from "../../config";
import { type ListParams, updateListParams } from "../../lib/listParams";
import { InvoicesCard } from "./InvoicesCard";
import { TransactionsCard } from "./TransactionsCard";
import { PaymentMethodsCard } from "./PaymentMethods";

/** Amount owed and overdue, from the customer record (`amount_owed`, `overdue_amount`, `overdue_invoices`). */
export function OwedBadges({ customer }: { customer: Customer & { amount_owed?: string | null; overdue_amount?: string | null; overdue_invoices?: number | null } }) {
  const { t } = useTranslation();
  const owed = Number(customer.amount_owed ?? 0);
  const overdue = Number(customer.overdue_amount ?? 0);
  if (customer.amount_owed === undefined) return null;
  return (
    <Group gap={6} data-testid="customer-owed">
      <Badge variant="light" color={owed > 0 ? "orange" : "green"} size="lg">{t("customerBilling.owed")}: {formatMoney(customer.amount_owed ?? "0")}</Badge>
      {overdue > 0 && (
        <Tooltip label={t("customerBilling.overdueInvoices", { count: customer.overdue_invoices ?? 0 })}>
          <Badge variant="filled" color="red" size="lg" data-testid="customer-overdue">{t("customerBilling.overdue")}: {formatMoney(customer.overdue_amount)}</Badge>
        </Tooltip>
      )}
    </Group>
  );
}

function useLocalList(defaults: Partial<ListParams>) {
  const [params, set] = useState<ListParams>({ page: 1, per_page: 10, order: "desc", search: "", filters: {}, ...defaults });
  return [params, (change: Partial<ListParams>) => set((current) => updateListParams(current, change))] as const;
}

/** Clients → [client] → Billing: payment methods, transactions (first card) and invoices (third card), spec 07 §1.3, §2.6, §4.3. */
export function CustomerBillingTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const [txParams, setTxParams] = useLocalList({ sort: "transaction_id" });
  const [invParams, setInvParams] = useLocalList({ sort: "invoice_id" });
  const scoped = { customer_id: customer.customer_id, customer_name: customer.customer_name };
  return (
    <Stack gap="xl" data-testid="customer-billing">
      {allows("view_customer_transaction") && (
        <Stack gap="xs"><Title order={3}>{t("customerBilling.transactions")}</Title>
          <TransactionsCard params={txParams} setParams={setTxParams} customer={scoped} /></Stack>
      )}
      <PaymentMethodsCard customer={scoped} />
      {allows("view_customer_invoice") && (
        <Stack gap="xs"><Title order={3}>{t("customerBilling.invoices")}</Title>
          <InvoicesCard params={invParams} setParams={setInvParams} customer={scoped} /></Stack>
      )}
      {!allows("view_customer_transaction") && !allows("view_customer_invoice") && <Text c="dimmed">{t("common.forbidden")}</Text>}
    </Stack>
  );
}
