import {
  ActionIcon, Alert, Badge, Button, Checkbox, Group, Modal, MultiSelect, NumberInput, Select, SimpleGrid, Stack, Switch,
  Table, Tabs, TagsInput, Text, Textarea, TextInput, Title, Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedCallback, useMediaQuery } from "@mantine/hooks";
import { IconCopy, IconEdit, IconPlus, IconSearch, IconTrash } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api";
import { AUTO_RENEW_CHOICES, inventoryApi, PRODUCT_CATEGORIES, productsApi, type Product } from "../api/domain";
import { useAuth } from "../auth/AuthContext";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { config, formatMoney } from "../config";
import { nameList } from "../lib/assignPlan";
import { applyApiErrors, confirmDanger, notifyError, notifySuccess } from "../lib/feedback";
import { useListParams } from "../lib/useListParams";

const DEFAULTS = { per_page: 20, sort: "product_id", order: "asc" as const };

/** Product management (spec 04 §1): every product, disabled ones too; create/edit, clone, enable/disable, delete. */
export function ProductsPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams(DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((search: string) => setParams({ search }), 300);
  const [editing, setEditing] = useState<Product | "new" | null>(null);
  const products = useQuery({ queryKey: ["products", params], queryFn: () => productsApi.manage(params), placeholderData: keepPreviousData });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["products"] });

  const toggle = useMutation({
    mutationFn: (p: Product) => productsApi.update(p.product_id, { enabled: !p.enabled }),
    onSuccess: (p) => { notifySuccess(t(p.enabled ? "products.enabledOk" : "products.disabledOk", { name: p.product_name })); void refresh(); },
    onError: notifyError,
  });
  const clone = useMutation({
    mutationFn: (p: Product) => productsApi.clone(p.product_id),
    onSuccess: (p) => { notifySuccess(t("products.cloned", { name: p.product_name })); void refresh(); setEditing(p); },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: (p: Product) => productsApi.remove(p.product_id),
    onSuccess: () => { notifySuccess(t("common.deleted")); void refresh(); },
    onError: notifyError,
  });

  const rows = products.data?.data ?? [];
  const sortChange = (p: typeof params) => setParams(() => p);
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("products.title")}</Title>
        {allows("create_product") && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")} data-testid="new-product">{t("products.new")}</Button>}
      </Group>
      <Group wrap="wrap" align="flex-end">
        <TextInput leftSection={<IconSearch size={16} />} placeholder={t("products.searchPlaceholder")} aria-label={t("products.searchPlaceholder")}
          value={searchText} onChange={(e) => { setSearchText(e.currentTarget.value); pushSearch(e.currentTarget.value.trim()); }} w={{ base: "100%", sm: 300 }} />
        <MultiSelect aria-label={t("products.category")} placeholder={t("products.category")} clearable w={{ base: "100%", sm: 280 }}
          data={PRODUCT_CATEGORIES.map((c) => ({ value: c, label: t(`products.categories.${c}`) }))}
          value={(params.filters.category ?? []).map(String)} onChange={(values) => setParams({ filters: { ...params.filters, category: values } })} />
      </Group>
      {products.isError ? <ErrorState error={products.error} onRetry={() => products.refetch()} /> : products.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={800}>
            <Table striped highlightOnHover data-testid="products-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="product_id" params={params} onChange={sortChange}>{t("common.id")}</SortableTh>
                  <SortableTh column="product_name" params={params} onChange={sortChange}>{t("common.name")}</SortableTh>
                  <SortableTh column="category" params={params} onChange={sortChange}>{t("products.category")}</SortableTh>
                  <SortableTh column="service_type" params={params} onChange={sortChange}>{t("products.serviceType")}</SortableTh>
                  <SortableTh column="retail_cost" params={params} onChange={sortChange}>{t("products.retailCost")}</SortableTh>
                  <Table.Th>{t("products.enabled")}</Table.Th>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {!rows.length && <Table.Tr><Table.Td colSpan={7}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>}
                {rows.map((p) => (
                  <Table.Tr key={p.product_id} data-testid={`product-row-${p.product_slug}`}>
                    <Table.Td>{p.product_id}</Table.Td>
                    <Table.Td><Text size="sm" fw={600}>{p.product_name}</Text><Text size="xs" c="dimmed">{p.product_slug}</Text></Table.Td>
                    <Table.Td><Badge variant="light">{t(`products.categories.${p.category}`, { defaultValue: p.category })}</Badge></Table.Td>
                    <Table.Td>{p.service_type}</Table.Td>
                    <Table.Td>{formatMoney(p.retail_cost)}</Table.Td>
                    <Table.Td>
                      <Switch checked={p.enabled} disabled={!allows("update_product") || (toggle.isPending && toggle.variables?.product_id === p.product_id)}
                        aria-label={`${t("products.enabled")} ${p.product_name}`}
                        onChange={() => (p.enabled
                          ? confirmDanger({ title: t("products.disableTitle"), confirmLabel: t("products.disable"),
                            message: <Text size="sm">{t("products.disableConfirm", { name: p.product_name })}</Text>, onConfirm: () => toggle.mutate(p) })
                          : toggle.mutate(p))} />
                    </Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        {allows("update_product") && <Tooltip label={t("common.edit")}><ActionIcon variant="subtle" aria-label={`${t("common.edit")} ${p.product_name}`} onClick={() => setEditing(p)}><IconEdit size={18} /></ActionIcon></Tooltip>}
                        {allows("create_product") && <Tooltip label={t("products.clone")}><ActionIcon variant="subtle" aria-label={`${t("products.clone")} ${p.product_name}`} loading={clone.isPending && clone.variables?.product_id === p.product_id} onClick={() => clone.mutate(p)}><IconCopy size={18} /></ActionIcon></Tooltip>}
                        {allows("delete_product") && (
                          <Tooltip label={t("common.delete")}>
                            <ActionIcon variant="subtle" color="red" aria-label={`${t("common.delete")} ${p.product_name}`}
                              onClick={() => confirmDanger({ title: t("products.deleteTitle"), confirmLabel: t("common.delete"),
                                message: <Text size="sm">{t("products.deleteConfirm", { name: p.product_name })}</Text>, onConfirm: () => remove.mutate(p) })}>
                              <IconTrash size={18} />
                            </ActionIcon>
                          </Tooltip>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={products.data.pagination} params={params} onChange={setParams} />
        </>
      )}
      <ProductModal product={editing} onClose={() => setEditing(null)} />
    </Stack>
  );
}

interface ProductForm {
  product_name: string; product_slug: string; category: string; service_type: string; icon: string; comment: string;
  features_list: string[]; terms: string;
  retail_cost: string; wholesale_cost: string; retail_setup_cost: string; wholesale_setup_cost: string; tax_percentage: string;
  auto_renew: string; allow_auto_renew: boolean; contract_days: number | string; residential: boolean; business: boolean;
  customer_can_purchase: boolean; enabled: boolean; relies_on_list: string[];
  provisioning_play: string; provisioning_json_vars: string; inventory_items_list: string[];
  available_from: string; available_until: string;
}

/** Which tab holds each field, so an API error opens the tab where it is shown. */
const FIELD_TAB: Record<string, string> = {
  retail_cost: "pricing", wholesale_cost: "pricing", retail_setup_cost: "pricing", wholesale_setup_cost: "pricing", tax_percentage: "pricing",
  auto_renew: "configuration", allow_auto_renew: "configuration", contract_days: "configuration", residential: "configuration", business: "configuration",
  customer_can_purchase: "configuration", relies_on_list: "configuration",
  provisioning_play: "provisioning", provisioning_json_vars: "provisioning", inventory_items_list: "provisioning",
  available_from: "availability", available_until: "availability",
};

const money = (v: string) => (v === "" || /^\d+(\.\d{1,2})?$/.test(v) ? null : "0.00");
const toInput = (v?: string | null) => (v ? v.replace("Z", "").slice(0, 16) : "");
const toApi = (v: string) => (v ? `${v.length === 16 ? `${v}:00` : v}Z` : null);

function jsonText(value: Product["provisioning_json_vars"]): string {
  if (!value) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}

function initialValues(p: Product | null): ProductForm {
  return {
    product_name: p?.product_name ?? "", product_slug: p?.product_slug ?? "", category: p?.category ?? "standalone",
    service_type: p?.service_type ?? "", icon: p?.icon ?? "", comment: p?.comment ?? "",
    features_list: Array.isArray(p?.features_list) ? p.features_list : nameList(p?.features_list ?? ""), terms: p?.terms ?? "",
    retail_cost: p?.retail_cost ?? "0.00", wholesale_cost: p?.wholesale_cost ?? "0.00", retail_setup_cost: p?.retail_setup_cost ?? "0.00",
    wholesale_setup_cost: p?.wholesale_setup_cost ?? "0.00", tax_percentage: p?.tax_percentage ?? "0",
    auto_renew: p?.auto_renew ?? "prompt", allow_auto_renew: p?.allow_auto_renew ?? true, contract_days: p?.contract_days ?? 30,
    residential: p?.residential ?? true, business: p?.business ?? true, customer_can_purchase: p?.customer_can_purchase ?? false,
    enabled: p?.enabled ?? false, relies_on_list: nameList(p?.relies_on_list ?? []),
    provisioning_play: p?.provisioning_play ?? "", provisioning_json_vars: jsonText(p?.provisioning_json_vars),
    inventory_items_list: nameList(p?.inventory_items_list ?? []),
    available_from: toInput(p?.available_from), available_until: toInput(p?.available_until),
  };
}

function ProductModal({ product, onClose }: { product: Product | "new" | null; onClose: () => void }) {
  const { t } = useTranslation();
  const mobile = useMediaQuery("(max-width: 48em)");
  const editing = product && product !== "new" ? product : null;
  return (
    <Modal opened={product !== null} onClose={onClose} size="xl" fullScreen={mobile}
      title={<Title order={3}>{editing ? `${t("common.edit")}: ${editing.product_name}` : t("products.new")}</Title>}>
      {product !== null && <ProductFormBody key={editing?.product_id ?? "new"} product={editing} onClose={onClose} />}
    </Modal>
  );
}

function ProductFormBody({ product, onClose }: { product: Product | null; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<string | null>("basic");
  const [problem, setProblem] = useState<string | null>(null);
  const templates = useQuery({ queryKey: ["inventory-templates", "all"], queryFn: inventoryApi.allTemplates });
  const form = useForm<ProductForm>({
    initialValues: initialValues(product),
    validate: {
      product_name: (v) => (v.trim() ? null : t("common.required")),
      product_slug: (v) => (!v.trim() ? t("common.required") : /^[A-Za-z0-9_-]+$/.test(v) ? null : t("products.badSlug")),
      retail_cost: (v) => (money(v) ? t("products.badMoney") : null),
      wholesale_cost: (v) => (money(v) ? t("products.badMoney") : null),
      retail_setup_cost: (v) => (money(v) ? t("products.badMoney") : null),
      wholesale_setup_cost: (v) => (money(v) ? t("products.badMoney") : null),
      tax_percentage: (v) => (v === "" || (/^\d+(\.\d+)?$/.test(v) && Number(v) <= 100) ? null : t("products.badTax")),
      provisioning_json_vars: (v) => {
        if (!v.trim()) return null;
        try { return typeof JSON.parse(v) === "object" ? null : t("products.badJson"); } catch { return t("products.badJson"); }
      },
      available_until: (v, values) => (v && values.available_from && v <= values.available_from ? t("products.badWindow") : null),
    },
  });
  const save = useMutation({
    mutationFn: (v: ProductForm) => {
      const body: Partial<Product> = {
        ...v, contract_days: v.contract_days === "" ? 0 : Number(v.contract_days),
        service_type: v.service_type || null, icon: v.icon || null, comment: v.comment || null, terms: v.terms || null,
        provisioning_play: v.provisioning_play || null, provisioning_json_vars: v.provisioning_json_vars.trim() || null,
        available_from: toApi(v.available_from), available_until: toApi(v.available_until),
      };
      return product ? productsApi.update(product.product_id, body) : productsApi.create(body);
    },
    onSuccess: (saved) => {
      notifySuccess(t("products.saved", { name: saved.product_name }));
      void queryClient.invalidateQueries({ queryKey: ["products"] });
      onClose();
    },
    onError: (error) => {
      setProblem(applyApiErrors(form, error));
      const first = error instanceof ApiError ? Object.keys(error.errors)[0] : undefined;
      if (first) setTab(FIELD_TAB[first] ?? "basic");
    },
  });
  const submit = form.onSubmit((v) => { setProblem(null); save.mutate(v); }, (errors) => setTab(FIELD_TAB[Object.keys(errors)[0]] ?? "basic"));
  const tabError = (name: string) => Object.keys(form.errors).some((f) => (FIELD_TAB[f] ?? "basic") === name);
  const tabs = ["basic", "pricing", "configuration", "provisioning", "availability"];
  return (
    <form onSubmit={submit} noValidate data-testid="product-form">
      <Stack>
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <Tabs value={tab} onChange={setTab} keepMounted>
          <Tabs.List style={{ flexWrap: "nowrap", overflowX: "auto" }}>
            {tabs.map((name) => <Tabs.Tab key={name} value={name} color={tabError(name) ? "red" : undefined}>{t(`products.tabs.${name}`)}</Tabs.Tab>)}
          </Tabs.List>
          <Tabs.Panel value="basic" pt="md">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label={t("products.name")} required {...form.getInputProps("product_name")} />
                <TextInput label={t("products.slug")} required {...form.getInputProps("product_slug")} />
                <Select label={t("products.category")} allowDeselect={false} data={PRODUCT_CATEGORIES.map((c) => ({ value: c, label: t(`products.categories.${c}`) }))} {...form.getInputProps("category")} />
                <TextInput label={t("products.serviceType")} placeholder="mobile" {...form.getInputProps("service_type")} />
                <TextInput label={t("products.icon")} placeholder="fa-solid fa-sim-card" description={t("products.iconHelp")} {...form.getInputProps("icon")} />
              </SimpleGrid>
              <TagsInput label={t("products.features")} description={t("products.featuresHelp")} {...form.getInputProps("features_list")} />
              <Textarea label={t("products.terms")} autosize minRows={2} {...form.getInputProps("terms")} />
              <Textarea label={t("products.comment")} description={t("products.commentHelp")} autosize minRows={2} {...form.getInputProps("comment")} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="pricing" pt="md">
            <Stack>
              <Text fw={700} size="sm">{t("products.recurring")}</Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label={t("products.retailCost")} leftSection={config.currencySymbol} inputMode="decimal" {...form.getInputProps("retail_cost")} />
                <TextInput label={t("products.wholesaleCost")} leftSection={config.currencySymbol} inputMode="decimal" {...form.getInputProps("wholesale_cost")} />
              </SimpleGrid>
              <Text fw={700} size="sm">{t("products.setup")}</Text>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput label={t("products.retailSetup")} leftSection={config.currencySymbol} inputMode="decimal" {...form.getInputProps("retail_setup_cost")} />
                <TextInput label={t("products.wholesaleSetup")} leftSection={config.currencySymbol} inputMode="decimal" {...form.getInputProps("wholesale_setup_cost")} />
              </SimpleGrid>
              <Text fw={700} size="sm">{t("products.tax")}</Text>
              <TextInput label={t("products.taxPercentage")} rightSection="%" inputMode="decimal" w={{ base: "100%", sm: 200 }} {...form.getInputProps("tax_percentage")}
                description={Number(form.values.tax_percentage) > 0 && !money(form.values.retail_cost)
                  ? t("products.withTax", { amount: formatMoney((Number(form.values.retail_cost) * (1 + Number(form.values.tax_percentage) / 100)).toFixed(2)) }) : undefined} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="configuration" pt="md">
            <Stack>
              <Text fw={700} size="sm">{t("products.renewal")}</Text>
              <SimpleGrid cols={{ base: 1, sm: 3 }}>
                <Select label={t("products.autoRenew")} allowDeselect={false} data={AUTO_RENEW_CHOICES.map((c) => ({ value: c, label: t(`products.autoRenewChoices.${c}`) }))} {...form.getInputProps("auto_renew")} />
                <NumberInput label={t("products.contractDays")} min={0} {...form.getInputProps("contract_days")} />
                <Checkbox mt="xl" label={t("products.allowAutoRenew")} {...form.getInputProps("allow_auto_renew", { type: "checkbox" })} />
              </SimpleGrid>
              <Text fw={700} size="sm">{t("products.customerTypes")}</Text>
              <Group>
                <Checkbox label={t("products.residential")} {...form.getInputProps("residential", { type: "checkbox" })} />
                <Checkbox label={t("products.business")} {...form.getInputProps("business", { type: "checkbox" })} />
                <Checkbox label={t("products.customerCanPurchase")} {...form.getInputProps("customer_can_purchase", { type: "checkbox" })} />
                <Checkbox label={t("products.enabled")} {...form.getInputProps("enabled", { type: "checkbox" })} />
              </Group>
              <TagsInput label={t("products.reliesOn")} description={t("products.reliesOnHelp")} {...form.getInputProps("relies_on_list")} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="provisioning" pt="md">
            <Stack>
              <TextInput label={t("products.play")} description={t("products.playHelp")} styles={{ input: { fontFamily: "monospace" } }} {...form.getInputProps("provisioning_play")} />
              <Textarea label={t("products.jsonVars")} description={t("products.jsonVarsHelp")} autosize minRows={3} styles={{ input: { fontFamily: "monospace" } }} {...form.getInputProps("provisioning_json_vars")} />
              <MultiSelect label={t("products.inventoryItems")} description={t("products.inventoryItemsHelp")} searchable
                data={[...new Set([...(templates.data?.data.map((tpl) => tpl.item) ?? []), ...form.values.inventory_items_list])]}
                {...form.getInputProps("inventory_items_list")} />
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="availability" pt="md">
            <Stack>
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <TextInput type="datetime-local" label={t("products.availableFrom")} description={t("products.availableFromHelp")} {...form.getInputProps("available_from")} />
                <TextInput type="datetime-local" label={t("products.availableUntil")} description={t("products.availableUntilHelp")} {...form.getInputProps("available_until")} />
              </SimpleGrid>
              {product && <Text size="xs" c="dimmed">{t("products.timestamps", { created: product.created ?? "", modified: product.last_modified ?? "" })}</Text>}
            </Stack>
          </Tabs.Panel>
        </Tabs>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
          <Button type="submit" loading={save.isPending}>{product ? t("common.saveChanges") : t("common.create")}</Button>
        </Group>
      </Stack>
    </form>
  );
}
