import { Alert, Button, Checkbox, Divider, Group, MultiSelect, Paper, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useParams } from "react-router";
import { ACCOUNT_TYPES, CUSTOMER_STATUSES, customersApi, PAYMENT_TYPES, type CustomerInput } from "../api/customers";
import { config } from "../config";
import { ErrorState, LoadingState } from "../components/States";
import { applyApiErrors, notifySuccess } from "../lib/feedback";

const CONTACT_TYPES = ["Primary", "Billing", "Technical"] as const;

interface FormValues extends CustomerInput {
  withSite: boolean;
  contact: { contact_firstname: string; contact_lastname: string; contact_email: string; contact_phone: string; contact_types: string[] };
  site: { site_name: string; address_line_1: string; address_line_2: string; city: string; state: string; zip_code: string; country: string; latitude: string; longitude: string };
}

function coordinate(value: string, limit: number, t: (key: string) => string): string | null {
  if (!value.trim()) return t("common.required");
  const n = Number(value);
  return Number.isFinite(n) && Math.abs(n) <= limit ? null : t("customers.badCoordinate");
}

/** Create (/customers/new, with a first contact and an optional first site) or edit (/customers/:id/edit) a customer. */
export function CustomerFormPage() {
  const { t } = useTranslation();
  const { customerId } = useParams();
  const id = customerId ? Number(customerId) : null;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const existing = useQuery({ queryKey: ["customer", id], queryFn: () => customersApi.get(id as number), enabled: id !== null });

  const creating = id === null;
  const form = useForm<FormValues>({
    initialValues: {
      customer_name: "", customer_status: "Open", customer_account_type: "Individual", customer_payment_type: "postpaid",
      tax_identifier: "", customer_notes: "", withSite: true,
      contact: { contact_firstname: "", contact_lastname: "", contact_email: "", contact_phone: "", contact_types: ["Primary"] },
      site: { site_name: "", address_line_1: "", address_line_2: "", city: "", state: "", zip_code: "", country: config.defaultCountry, latitude: "", longitude: "" },
    },
    validate: {
      customer_name: (v) => (v.trim() ? null : t("common.required")),
      contact: {
        contact_firstname: (v) => (creating && !v.trim() ? t("common.required") : null),
        contact_email: (v) => (creating && v && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v) ? t("common.invalidEmail") : null),
        contact_phone: (v) => (creating && v && !/^\+?[0-9 ()-]{6,20}$/.test(v) ? t("customers.badPhone") : null),
      },
      site: {
        site_name: (v, values) => (creating && values.withSite && !v.trim() ? t("common.required") : null),
        address_line_1: (v, values) => (creating && values.withSite && !v.trim() ? t("common.required") : null),
        latitude: (v, values) => (creating && values.withSite && !config.googleApiKey ? coordinate(v, 90, t) : null),
        longitude: (v, values) => (creating && values.withSite && !config.googleApiKey ? coordinate(v, 180, t) : null),
      },
    },
  });

  const loaded = existing.data;
  useEffect(() => {
    if (loaded) {
      form.setValues({
        ...form.values,
        customer_name: loaded.customer_name, customer_status: loaded.customer_status,
        customer_account_type: loaded.customer_account_type, customer_payment_type: loaded.customer_payment_type,
        tax_identifier: loaded.tax_identifier ?? "", customer_notes: loaded.customer_notes ?? "",
      });
      form.resetDirty();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [loaded]);

  const save = useMutation({
    mutationFn: (values: FormValues) => {
      const { contact, site, withSite, ...customer } = values;
      const body: CustomerInput = { ...customer, customer_name: customer.customer_name.trim(), tax_identifier: customer.tax_identifier || null, customer_notes: customer.customer_notes || null };
      if (id !== null) return customersApi.update(id, body);
      const blank = (v: string) => v.trim() || null;
      return customersApi.create({
        ...body,
        contacts: [{
          contact_firstname: contact.contact_firstname.trim(), contact_lastname: contact.contact_lastname.trim(),
          contact_email: blank(contact.contact_email), contact_phone: blank(contact.contact_phone), contact_types: contact.contact_types.join(", "),
        }],
        sites: withSite ? [{
          site_name: site.site_name.trim(), address_line_1: site.address_line_1.trim(), address_line_2: blank(site.address_line_2),
          city: blank(site.city), state: blank(site.state), zip_code: blank(site.zip_code), country: blank(site.country),
          ...(site.latitude.trim() ? { latitude: Number(site.latitude), longitude: Number(site.longitude) } : {}),
        }] : [],
      });
    },
    onSuccess: (saved) => {
      notifySuccess(t(id === null ? "customers.created_ok" : "customers.updated_ok"));
      void queryClient.invalidateQueries({ queryKey: ["customers"] });
      void queryClient.invalidateQueries({ queryKey: ["customer", saved.customer_id] });
      navigate(`/customers/${saved.customer_id}`);
    },
    onError: (error) => setProblem(applyApiErrors(form, error, { "contacts[0].": "contact.", "sites[0].": "site." })),
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
            {creating && (
              <>
                <Divider label={t("customers.firstContact")} labelPosition="left" />
                <Group grow wrap="wrap">
                  <TextInput label={t("users.firstName")} required {...form.getInputProps("contact.contact_firstname")} />
                  <TextInput label={t("users.lastName")} {...form.getInputProps("contact.contact_lastname")} />
                </Group>
                <Group grow wrap="wrap">
                  <TextInput label={t("common.email")} type="email" {...form.getInputProps("contact.contact_email")} />
                  <TextInput label={t("common.phone")} placeholder="+44 7700 900123" {...form.getInputProps("contact.contact_phone")} />
                </Group>
                <MultiSelect label={t("customers.contactTypes")} data={CONTACT_TYPES.map((v) => ({ value: v, label: t(`customers.contactTypeNames.${v}`) }))} {...form.getInputProps("contact.contact_types")} />
                <Divider label={t("customers.firstSite")} labelPosition="left" />
                <Checkbox label={t("customers.addSite")} {...form.getInputProps("withSite", { type: "checkbox" })} />
                {form.values.withSite && (
                  <>
                    <TextInput label={t("customers.siteName")} required {...form.getInputProps("site.site_name")} />
                    <TextInput label={t("customers.address1")} required {...form.getInputProps("site.address_line_1")} />
                    <TextInput label={t("customers.address2")} {...form.getInputProps("site.address_line_2")} />
                    <Group grow wrap="wrap">
                      <TextInput label={t("customers.city")} {...form.getInputProps("site.city")} />
                      <TextInput label={t("customers.state")} {...form.getInputProps("site.state")} />
                      <TextInput label={t("customers.zip")} {...form.getInputProps("site.zip_code")} />
                      <TextInput label={t("customers.country")} {...form.getInputProps("site.country")} />
                    </Group>
                    <Group grow wrap="wrap">
                      <TextInput label={t("customers.latitude")} required={!config.googleApiKey} inputMode="decimal" {...form.getInputProps("site.latitude")} />
                      <TextInput label={t("customers.longitude")} required={!config.googleApiKey} inputMode="decimal" {...form.getInputProps("site.longitude")} />
                    </Group>
                    <Text size="xs" c="dimmed">{config.googleApiKey ? t("customers.geocodeHelp") : t("customers.coordinatesHelp")}</Text>
                  </>
                )}
              </>
            )}
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
