import { Alert, Button, Group, Paper, Select, Stack, Textarea, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { ACCOUNT_TYPES, CUSTOMER_STATUSES, customersApi, PAYMENT_TYPES, type CustomerInput } from "../api/customers";
import { ErrorState, LoadingState } from "../components/States";
import { applyApiErrors, notifySuccess } from "../lib/feedback";

/** Create (/customers/new) or edit (/customers/:id/edit) a customer. */
export function CustomerFormPage() {
  const { t } = useTranslation();
  const { customerId } = useParams();
  const id = customerId ? Number(customerId) : null;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const existing = useQuery({ queryKey: ["customer", id], queryFn: () => customersApi.get(id as number), enabled: id !== null });

  const form = useForm<CustomerInput>({
    initialValues: {
      customer_name: "", customer_status: "Open", customer_account_type: "Individual", customer_payment_type: "postpaid",
      tax_identifier: "", customer_notes: "",
    },
    validate: {
      customer_name: (v) => (v.trim() ? null : t("common.required")),
    },
  });

  const loaded = existing.data;
  useEffect(() => {
    if (loaded) {
      form.setValues({
        customer_name: loaded.customer_name, customer_status: loaded.customer_status,
        customer_account_type: loaded.customer_account_type, customer_payment_type: loaded.customer_payment_type,
        tax_identifier: loaded.tax_identifier ?? "", customer_notes: loaded.customer_notes ?? "",
      });
      form.resetDirty();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);

  const save = useMutation({
    mutationFn: (values: CustomerInput) => {
      const body = { ...values, customer_name: values.customer_name.trim(), tax_identifier: values.tax_identifier || null, customer_notes: values.customer_notes || null };
      return id === null ? customersApi.create(body) : customersApi.update(id, body);
    },
    onSuccess: (saved) => {
      notifySuccess(t(id === null ? "customers.created_ok" : "customers.updated_ok"));
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
      void queryClient.invalidateQueries({ queryKey: ["customer", saved.customer_id] });
      navigate(`/customers/${saved.customer_id}`);
    },
    onError: (error) => setProblem(applyApiErrors(form, error)),
  });

  if (id !== null && existing.isError) return <ErrorState error={existing.error} onRetry={() => existing.refetch()} />;
  if (id !== null && existing.isPending) return <LoadingState />;

  return (
    <Stack maw={720}>
      <Title order={2}>{id === null ? t("customers.new") : `${t("common.edit")}: ${loaded?.customer_name ?? ""}`}</Title>
      <Paper withBorder p="md">
        <form onSubmit={form.onSubmit((values) => { setProblem(null); save.mutate(values); })} noValidate>
          <Stack>
            {problem && <Alert color="red" role="alert">{problem}</Alert>}
            <TextInput label={t("customers.name")} required {...form.getInputProps("customer_name")} />
            <Group grow wrap="wrap">
              <Select label={t("customers.accountType")} allowDeselect={false}
                data={ACCOUNT_TYPES.map((v) => ({ value: v, label: t(`customers.accountTypes.${v}`) }))} {...form.getInputProps("customer_account_type")} />
              <Select label={t("customers.paymentType")} allowDeselect={false}
                data={PAYMENT_TYPES.map((v) => ({ value: v, label: t(`customers.paymentTypes.${v}`) }))} {...form.getInputProps("customer_payment_type")} />
              <Select label={t("customers.status")} allowDeselect={false}
                data={CUSTOMER_STATUSES.map((v) => ({ value: v, label: t(`customers.statuses.${v}`) }))} {...form.getInputProps("customer_status")} />
            </Group>
            <TextInput label={t("customers.taxId")} {...form.getInputProps("tax_identifier")} />
            <Textarea label={t("customers.notes")} autosize minRows={3} {...form.getInputProps("customer_notes")} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => navigate(-1)}>{t("common.cancel")}</Button>
              <Button type="submit" loading={save.isPending}>{id === null ? t("common.create") : t("common.saveChanges")}</Button>
            </Group>
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}
