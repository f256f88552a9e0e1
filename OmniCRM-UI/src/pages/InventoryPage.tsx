import {
  ActionIcon, Alert, Badge, Button, Checkbox, FileInput, Group, Modal, MultiSelect, Progress, ScrollArea, Select, SimpleGrid,
  Stack, Table, Tabs, Text, TextInput, Title, Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedCallback, useMediaQuery } from "@mantine/hooks";
import { IconDownload, IconPlus, IconSearch, IconTrash, IconUpload } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useSearchParams } from "react-router";
import { ApiError } from "../api";
import { inventoryApi, ITEM_STATES, type ImportReport, type InventoryTemplate } from "../api/domain";
import { useAuth } from "../auth/AuthContext";
import { RowActions } from "../components/RowActions";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime, formatMoney } from "../config";
import { importBatches, reportRows, splitCsv, type CsvFile, type ReportRow } from "../lib/csvImport";
import { applyApiErrors, confirmDanger, notifyError, notifySuccess } from "../lib/feedback";
import { useListParams } from "../lib/useListParams";

/** Inventory (spec 02 §4): items and templates as tabs (?tab=templates), CSV import and export per template. */
export function InventoryPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const [search, setSearch] = useSearchParams();
  const canItems = allows("view_inventory");
  const tab = search.get("tab") === "templates" || !canItems ? "templates" : "items";
  return (
    <Stack>
      <Title order={2}>{t("inventory.title")}</Title>
      <Tabs value={tab} onChange={(v) => setSearch(v === "templates" ? { tab: "templates" } : {})} keepMounted={false}>
        <Tabs.List>
          {canItems && <Tabs.Tab value="items">{t("inventory.items")}</Tabs.Tab>}
          {allows("view_inventory_template") && <Tabs.Tab value="templates">{t("inventory.templates")}</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="items" pt="md"><ItemsTab /></Tabs.Panel>
        <Tabs.Panel value="templates" pt="md"><TemplatesTab /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

const ITEM_DEFAULTS = { per_page: 20, sort: "inventory_id", order: "desc" as const };

function ItemsTab() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams(ITEM_DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((value: string) => setParams({ search: value }), 300);
  const [importing, setImporting] = useState(false);
  const [creating, setCreating] = useState(false);
  const templates = useQuery({ queryKey: ["inventory-templates", "all"], queryFn: inventoryApi.allTemplates });
  const items = useQuery({ queryKey: ["inventory", params], queryFn: () => inventoryApi.items(params), placeholderData: keepPreviousData });
  const remove = useMutation({
    mutationFn: (id: number) => inventoryApi.removeItem(id),
    onSuccess: () => { notifySuccess(t("common.deleted")); void queryClient.invalidateQueries({ queryKey: ["inventory"] }); },
    onError: notifyError,
  });
  const templateId = (params.filters.inventory_template_id ?? [])[0];
  const exportCsv = useMutation({
    mutationFn: async () => {
      const tpl = templates.data?.data.find((x) => x.inventory_template_id === Number(templateId));
      if (!tpl) throw new Error(t("inventory.pickTemplateFirst"));
      const csv = await inventoryApi.exportCsv(tpl.inventory_template_id);
      const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${tpl.item.replace(/[^A-Za-z0-9]+/g, "_")}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
      return tpl;
    },
    onSuccess: (tpl) => notifySuccess(t("inventory.exported", { item: tpl.item })),
    onError: notifyError,
  });
  const rows = items.data?.data ?? [];
  const sortChange = (p: typeof params) => setParams(() => p);
  return (
    <Stack>
      <Group justify="space-between" wrap="wrap" align="flex-end">
        <Group wrap="wrap" align="flex-end">
          <TextInput leftSection={<IconSearch size={16} />} placeholder={t("inventory.searchPlaceholder")} aria-label={t("inventory.searchPlaceholder")}
            value={searchText} onChange={(e) => { setSearchText(e.currentTarget.value); pushSearch(e.currentTarget.value.trim()); }} w={{ base: "100%", sm: 260 }} />
          <Select aria-label={t("inventory.type")} placeholder={t("inventory.type")} clearable w={{ base: "100%", sm: 200 }}
            data={(templates.data?.data ?? []).map((x) => ({ value: String(x.inventory_template_id), label: x.item }))}
            value={templateId !== undefined ? String(templateId) : null}
            onChange={(v) => setParams({ filters: { ...params.filters, inventory_template_id: v ? [Number(v)] : [] } })} />
          <MultiSelect aria-label={t("inventory.state")} placeholder={t("inventory.state")} clearable w={{ base: "100%", sm: 240 }}
            data={ITEM_STATES.map((s) => ({ value: s, label: t(`inventory.states.${s}`, { defaultValue: s }) }))}
            value={(params.filters.item_state ?? []).map(String)} onChange={(v) => setParams({ filters: { ...params.filters, item_state: v } })} />
        </Group>
        <Group gap="xs">
          <Tooltip label={templateId === undefined ? t("inventory.pickTemplateFirst") : t("inventory.export")}>
            <Button variant="default" leftSection={<IconDownload size={16} />} disabled={templateId === undefined} loading={exportCsv.isPending} onClick={() => exportCsv.mutate()}>{t("inventory.export")}</Button>
          </Tooltip>
          {allows("create_inventory") && <Button variant="light" leftSection={<IconUpload size={16} />} onClick={() => setImporting(true)} data-testid="import-csv">{t("inventory.import")}</Button>}
          {allows("create_inventory") && <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>{t("inventory.newItem")}</Button>}
        </Group>
      </Group>
      {items.isError ? <ErrorState error={items.error} onRetry={() => items.refetch()} /> : items.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover data-testid="inventory-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="inventory_id" params={params} onChange={sortChange}>{t("common.id")}</SortableTh>
                  <SortableTh column="item" params={params} onChange={sortChange}>{t("inventory.type")}</SortableTh>
                  <SortableTh column="itemtext1" params={params} onChange={sortChange}>{t("inventory.identifier")}</SortableTh>
                  <SortableTh column="item_state" params={params} onChange={sortChange}>{t("inventory.state")}</SortableTh>
                  <SortableTh column="item_location" params={params} onChange={sortChange}>{t("inventory.location")}</SortableTh>
                  <Table.Th>{t("inventory.customer")}</Table.Th>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {!rows.length && <Table.Tr><Table.Td colSpan={7}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>}
                {rows.map((item) => (
                  <Table.Tr key={item.inventory_id}>
                    <Table.Td>{item.inventory_id}</Table.Td>
                    <Table.Td>{item.item}</Table.Td>
                    <Table.Td ff="monospace">{item.itemtext1}</Table.Td>
                    <Table.Td><Badge variant="light" color={item.item_state === "New" || item.item_state === "In Stock" ? "green" : item.item_state === "Assigned" || item.item_state === "In Use" ? "blue" : "gray"}>{t(`inventory.states.${item.item_state}`, { defaultValue: item.item_state })}</Badge></Table.Td>
                    <Table.Td>{item.item_location}</Table.Td>
                    <Table.Td>{item.customer_id ? <Link to={`/customers/${item.customer_id}`}>{item.customer_id}</Link> : "—"}</Table.Td>
                    <Table.Td>
                      {allows("delete_inventory") && !item.customer_id && !item.service_id && (
                        <ActionIcon variant="subtle" color="red" aria-label={`${t("common.delete")} ${item.itemtext1 ?? item.inventory_id}`}
                          onClick={() => confirmDanger({ title: t("inventory.deleteItem"), confirmLabel: t("common.delete"),
                            message: <Text size="sm">{t("inventory.deleteItemConfirm", { name: `${item.item} ${item.itemtext1 ?? ""}` })}</Text>, onConfirm: () => remove.mutate(item.inventory_id) })}>
                          <IconTrash size={18} />
                        </ActionIcon>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={items.data.pagination} params={params} onChange={setParams} />
        </>
      )}
      <ImportModal opened={importing} onClose={() => setImporting(false)} templates={templates.data?.data ?? []} initialTemplate={templateId !== undefined ? Number(templateId) : null} />
      <Modal opened={creating} onClose={() => setCreating(false)} title={t("inventory.newItem")} size="lg">
        {creating && <ItemForm templates={templates.data?.data ?? []} onDone={() => setCreating(false)} />}
      </Modal>
    </Stack>
  );
}

function ItemForm({ templates, onDone }: { templates: InventoryTemplate[]; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm<Record<string, string>>({
    initialValues: { inventory_template_id: "", item_location: "", item_state: "New", ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`itemtext${i + 1}`, ""])) },
    validate: {
      inventory_template_id: (v) => (v ? null : t("common.required")),
      itemtext1: (v) => (v.trim() ? null : t("common.required")),
    },
  });
  const template = templates.find((x) => String(x.inventory_template_id) === form.values.inventory_template_id);
  const save = useMutation({
    mutationFn: (v: Record<string, string>) => inventoryApi.createItem(Object.fromEntries(Object.entries(v)
      .filter(([, value]) => value.trim() !== "").map(([k, value]) => [k, k === "inventory_template_id" ? Number(value) : value.trim()]))),
    onSuccess: () => { notifySuccess(t("common.saved")); void queryClient.invalidateQueries({ queryKey: ["inventory"] }); onDone(); },
    onError: (error) => setProblem(applyApiErrors(form, error)),
  });
  return (
    <form onSubmit={form.onSubmit((v) => { setProblem(null); save.mutate(v); })} noValidate>
      <Stack>
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          <Select label={t("inventory.type")} required data={templates.map((x) => ({ value: String(x.inventory_template_id), label: x.item }))} {...form.getInputProps("inventory_template_id")} />
          <Select label={t("inventory.state")} allowDeselect={false} data={["New", "In Stock", "In Transit", "Internal Use"]} {...form.getInputProps("item_state")} />
          <TextInput label={t("inventory.location")} {...form.getInputProps("item_location")} />
        </SimpleGrid>
        {template && (
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {Object.entries(template.labels ?? {}).map(([field, label]) => (
              <TextInput key={field} label={label} required={field === "itemtext1"} type={template.secret_fields?.includes(field) ? "password" : "text"} {...form.getInputProps(field)} />
            ))}
          </SimpleGrid>
        )}
        <Group justify="flex-end"><Button variant="default" onClick={onDone}>{t("common.cancel")}</Button><Button type="submit" loading={save.isPending}>{t("common.create")}</Button></Group>
      </Stack>
    </form>
  );
}

type ImportStage = { kind: "pick" } | { kind: "report"; file: CsvFile; report: ImportReport; rows: ReportRow[] }
  | { kind: "importing"; done: number; total: number } | { kind: "finished"; imported: number; failed?: string };

/** CSV import: a dry run shows every row with its problems; importing sends the good rows in batches with progress. */
function ImportModal({ opened, onClose, templates, initialTemplate }: {
  opened: boolean; onClose: () => void; templates: InventoryTemplate[]; initialTemplate: number | null;
}) {
  const { t } = useTranslation();
  const mobile = useMediaQuery("(max-width: 48em)");
  const queryClient = useQueryClient();
  const [templateId, setTemplateId] = useState<number | null>(initialTemplate);
  const [file, setFile] = useState<File | null>(null);
  const [stage, setStage] = useState<ImportStage>({ kind: "pick" });
  const [problem, setProblem] = useState<string | null>(null);
  const close = () => { setStage({ kind: "pick" }); setFile(null); setProblem(null); onClose(); };

  const check = useMutation({
    mutationFn: async () => {
      const text = await (file as File).text();
      const parsed = splitCsv(text);
      try {
        const report = await inventoryApi.importCsv(templateId as number, text, true);
        return { parsed, report };
      } catch (error) {
        const body = error instanceof ApiError ? (error.body as { report?: ImportReport } | undefined) : undefined;
        if (body?.report) return { parsed, report: body.report };
        throw error;
      }
    },
    onSuccess: ({ parsed, report }) => setStage({ kind: "report", file: parsed, report, rows: reportRows(parsed, report) }),
    onError: (error) => setProblem(error instanceof Error ? error.message : String(error)),
  });

  const runImport = async (parsed: CsvFile, rows: ReportRow[]) => {
    const batches = importBatches(parsed, rows);
    const total = batches.reduce((n, b) => n + b.count, 0);
    let done = 0;
    setStage({ kind: "importing", done, total });
    for (const batch of batches) {
      try {
        const report = await inventoryApi.importCsv(templateId as number, batch.csv, false);
        done += report.imported;
        setStage({ kind: "importing", done, total });
      } catch (error) {
        setStage({ kind: "finished", imported: done, failed: error instanceof Error ? error.message : String(error) });
        void queryClient.invalidateQueries({ queryKey: ["inventory"] });
        return;
      }
    }
    setStage({ kind: "finished", imported: done });
    notifySuccess(t("inventory.importedOk", { count: done }));
    void queryClient.invalidateQueries({ queryKey: ["inventory"] });
  };

  const template = templates.find((x) => x.inventory_template_id === templateId);
  return (
    <Modal opened={opened} onClose={close} size="xl" fullScreen={mobile} title={<Title order={3}>{t("inventory.importTitle")}</Title>} closeOnClickOutside={false}>
      <Stack data-testid="import-modal">
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        {stage.kind === "pick" && (
          <>
            <Select label={t("inventory.type")} required data={templates.map((x) => ({ value: String(x.inventory_template_id), label: x.item }))}
              value={templateId ? String(templateId) : null} onChange={(v) => setTemplateId(v ? Number(v) : null)} data-testid="import-template" />
            {template && <Text size="xs" c="dimmed">{t("inventory.columnsHelp", { columns: Object.values(template.labels ?? {}).join(", ") })}</Text>}
            <FileInput label={t("inventory.csvFile")} required accept=".csv,text/csv" value={file} onChange={setFile} clearable data-testid="import-file" />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>{t("common.cancel")}</Button>
              <Button disabled={!templateId || !file} loading={check.isPending} onClick={() => { setProblem(null); check.mutate(); }} data-testid="import-check">{t("inventory.check")}</Button>
            </Group>
          </>
        )}
        {stage.kind === "report" && (
          <>
            <Group gap="xs">
              <Badge color="green" variant="light" data-testid="valid-rows">{t("inventory.validRows", { count: stage.report.valid_rows })}</Badge>
              <Badge color={stage.report.invalid_rows ? "red" : "gray"} variant="light" data-testid="invalid-rows">{t("inventory.invalidRows", { count: stage.report.invalid_rows })}</Badge>
            </Group>
            <ScrollArea.Autosize mah={360}>
              <Table striped data-testid="import-report">
                <Table.Thead><Table.Tr><Table.Th>{t("inventory.line")}</Table.Th><Table.Th>{t("inventory.row")}</Table.Th><Table.Th>{t("inventory.result")}</Table.Th></Table.Tr></Table.Thead>
                <Table.Tbody>
                  {stage.rows.map((row) => (
                    <Table.Tr key={row.line} data-ok={row.ok}>
                      <Table.Td>{row.line}</Table.Td>
                      <Table.Td ff="monospace" style={{ wordBreak: "break-all" }}>{row.values.slice(0, 3).join(", ")}</Table.Td>
                      <Table.Td>
                        {row.ok ? <Badge color="green" variant="light">{t("inventory.rowOk")}</Badge>
                          : row.problems.map((p) => <Text key={p.column} size="xs" c="red">{p.column}: {p.message}</Text>)}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
            {stage.report.invalid_rows > 0 && stage.report.valid_rows > 0 && <Alert color="yellow">{t("inventory.skipBad", { count: stage.report.invalid_rows })}</Alert>}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setStage({ kind: "pick" })}>{t("common.back")}</Button>
              <Button disabled={!stage.report.valid_rows} onClick={() => void runImport(stage.file, stage.rows)} data-testid="import-run">
                {t("inventory.importRows", { count: stage.report.valid_rows })}
              </Button>
            </Group>
          </>
        )}
        {stage.kind === "importing" && (
          <>
            <Text>{t("inventory.importing", { done: stage.done, total: stage.total })}</Text>
            <Progress value={stage.total ? (100 * stage.done) / stage.total : 0} animated size="lg" data-testid="import-progress" />
          </>
        )}
        {stage.kind === "finished" && (
          <>
            <Progress value={100} color={stage.failed ? "red" : "green"} size="lg" />
            {stage.failed
              ? <Alert color="red" role="alert">{t("inventory.importStopped", { count: stage.imported, message: stage.failed })}</Alert>
              : <Alert color="green" data-testid="import-done">{t("inventory.importedOk", { count: stage.imported })}</Alert>}
            <Group justify="flex-end"><Button onClick={close}>{t("common.close")}</Button></Group>
          </>
        )}
      </Stack>
    </Modal>
  );
}

const TEMPLATE_DEFAULTS = { per_page: 20, sort: "item", order: "asc" as const };

function TemplatesTab() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams(TEMPLATE_DEFAULTS);
  const [editing, setEditing] = useState<InventoryTemplate | "new" | null>(null);
  const templates = useQuery({ queryKey: ["inventory-templates", params], queryFn: () => inventoryApi.templates(params), placeholderData: keepPreviousData });
  const remove = useMutation({
    mutationFn: (id: number) => inventoryApi.removeTemplate(id),
    onSuccess: () => { notifySuccess(t("common.deleted")); void queryClient.invalidateQueries({ queryKey: ["inventory-templates"] }); },
    onError: notifyError,
  });
  const rows = templates.data?.data ?? [];
  const sortChange = (p: typeof params) => setParams(() => p);
  return (
    <Stack>
      <Group justify="flex-end">
        {allows("create_inventory_template") && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")}>{t("inventory.newTemplate")}</Button>}
      </Group>
      {templates.isError ? <ErrorState error={templates.error} onRetry={() => templates.refetch()} /> : templates.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={700}>
            <Table striped data-testid="templates-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="item" params={params} onChange={sortChange}>{t("inventory.type")}</SortableTh>
                  <Table.Th>{t("inventory.fields")}</Table.Th>
                  <Table.Th>{t("inventory.retail")}</Table.Th>
                  <Table.Th>{t("inventory.dropdowns")}</Table.Th>
                  <SortableTh column="created" params={params} onChange={sortChange}>{t("common.created")}</SortableTh>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((tpl) => (
                  <Table.Tr key={tpl.inventory_template_id}>
                    <Table.Td fw={600}>{tpl.item}</Table.Td>
                    <Table.Td><Text size="xs">{Object.values(tpl.labels ?? {}).join(", ")}</Text></Table.Td>
                    <Table.Td>{formatMoney(tpl.retail_cost)}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {tpl.allow_staff_dropdown && <Badge size="xs" variant="light">{t("inventory.staff")}</Badge>}
                        {tpl.allow_customer_dropdown && <Badge size="xs" variant="light" color="teal">{t("inventory.customers")}</Badge>}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatDateTime(tpl.created as string)}</Table.Td>
                    <Table.Td>
                      <RowActions name={tpl.item} canEdit={allows("update_inventory_template")}
                        canDelete={allows("delete_inventory_template")} onEdit={() => setEditing(tpl)}
                        deleteTitle={t("inventory.deleteTemplate")}
                        deleteMessage={t("inventory.deleteTemplateConfirm", { name: tpl.item })}
                        onDelete={() => remove.mutate(tpl.inventory_template_id)} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={templates.data.pagination} params={params} onChange={setParams} />
        </>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} size="xl" title={editing === "new" ? t("inventory.newTemplate") : t("common.edit")}>
        {editing !== null && <TemplateForm template={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

const LABELS = Array.from({ length: 20 }, (_, i) => `itemtext${i + 1}`);

function TemplateForm({ template, onDone }: { template: InventoryTemplate | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [shown, setShown] = useState(() => Math.max(4, ...LABELS.map((f, i) => (template?.labels?.[f] ? i + 1 : 0))));
  const form = useForm<Record<string, string | boolean | string[]>>({
    initialValues: {
      item: template?.item ?? "", icon: template?.icon ?? "", wholesale_cost: template?.wholesale_cost ?? "0.00", retail_cost: template?.retail_cost ?? "0.00",
      allow_staff_dropdown: template?.allow_staff_dropdown ?? true, allow_customer_dropdown: template?.allow_customer_dropdown ?? false,
      secret_fields: template?.secret_fields ?? [],
      ...Object.fromEntries(LABELS.map((f) => [`${f}_label`, template?.labels?.[f] ?? ""])),
    },
    validate: {
      item: (v) => (String(v).trim() ? null : t("common.required")),
      itemtext1_label: (v) => (String(v).trim() ? null : t("common.required")),
      itemtext2_label: (v) => (String(v).trim() ? null : t("common.required")),
      retail_cost: (v) => (/^\d+(\.\d{1,2})?$/.test(String(v)) ? null : t("products.badMoney")),
      wholesale_cost: (v) => (/^\d+(\.\d{1,2})?$/.test(String(v)) ? null : t("products.badMoney")),
    },
  });
  const save = useMutation({
    mutationFn: (v: Record<string, unknown>) => {
      const body = Object.fromEntries(Object.entries(v).map(([k, value]) => [k, typeof value === "string" ? value.trim() || null : value]));
      return template ? inventoryApi.updateTemplate(template.inventory_template_id, body) : inventoryApi.createTemplate(body);
    },
    onSuccess: (saved) => {
      notifySuccess(t("common.saved"));
      for (const warning of (saved as { warnings?: string[] }).warnings ?? []) notifyError(new Error(warning));
      void queryClient.invalidateQueries({ queryKey: ["inventory-templates"] });
      onDone();
    },
    onError: (error) => setProblem(applyApiErrors(form, error)),
  });
  const labelled = LABELS.filter((f) => String(form.values[`${f}_label`]).trim());
  return (
    <form onSubmit={form.onSubmit((v) => { setProblem(null); save.mutate(v); })} noValidate>
      <Stack>
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <TextInput label={t("inventory.typeName")} required description={t("inventory.typeNameHelp")} {...form.getInputProps("item")} />
          <TextInput label={t("products.icon")} placeholder="fa-solid fa-sim-card" {...form.getInputProps("icon")} />
          <TextInput label={t("inventory.retail")} inputMode="decimal" {...form.getInputProps("retail_cost")} />
          <TextInput label={t("inventory.wholesale")} inputMode="decimal" {...form.getInputProps("wholesale_cost")} />
        </SimpleGrid>
        <Group>
          <Checkbox label={t("inventory.staffDropdown")} {...form.getInputProps("allow_staff_dropdown", { type: "checkbox" })} />
          <Checkbox label={t("inventory.customerDropdown")} {...form.getInputProps("allow_customer_dropdown", { type: "checkbox" })} />
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {LABELS.slice(0, shown).map((f, i) => (
            <TextInput key={f} label={t("inventory.fieldLabel", { n: i + 1 })} required={i < 2} {...form.getInputProps(`${f}_label`)} />
          ))}
        </SimpleGrid>
        {shown < 20 && <Button variant="subtle" size="xs" onClick={() => setShown((n) => Math.min(20, n + 4))} w="fit-content">{t("inventory.moreFields")}</Button>}
        <MultiSelect label={t("inventory.secretFields")} description={t("inventory.secretHelp")}
          data={labelled.map((f) => ({ value: f, label: String(form.values[`${f}_label`]) }))} {...form.getInputProps("secret_fields")} />
        <Group justify="flex-end"><Button variant="default" onClick={onDone}>{t("common.cancel")}</Button><Button type="submit" loading={save.isPending}>{t("common.save")}</Button></Group>
      </Stack>
    </form>
  );
}
