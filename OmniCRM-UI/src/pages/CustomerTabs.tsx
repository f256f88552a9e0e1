import {
  Alert, Anchor, Badge, Button, ColorInput, Group, Modal, Stack, Table, Text, TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconPlus } from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { activityApi, attributesApi, servicesApi, tagsApi, type Attribute, type Tag } from "../api/domain";
import type { Customer } from "../api/customers";
import { useAuth } from "../auth/AuthContext";
import { AssignPlanModal } from "../components/AssignPlan";
import { ListFooter } from "../components/ListControls";
import { RowActions } from "../components/RowActions";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime, formatMoney } from "../config";
import { applyApiErrors, notifyError, notifySuccess } from "../lib/feedback";
import { type ListParams, parseListParams, updateListParams } from "../lib/listParams";
import { SERVICE_STATUS_COLORS } from "./ServicePage";

export function ServicesTab({ customer }: { customer: Customer }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const [assigning, setAssigning] = useState(false);
  const services = useQuery({ queryKey: ["services", "customer", customer.customer_id], queryFn: () => servicesApi.ofCustomer(customer.customer_id) });
  const closed = ["Closed", "Archived"].includes(customer.customer_status);
  return (
    <Stack>
      <Group justify="flex-end">
        {allows("create_provision") && !closed && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setAssigning(true)} data-testid="assign-plan-open">{t("assign.title")}</Button>
        )}
      </Group>
      {services.isError ? <ErrorState error={services.error} onRetry={() => services.refetch()} /> : services.isPending ? <LoadingState /> :
        !services.data.data.length ? <Text c="dimmed">{t("services.empty")}</Text> : (
          <Table.ScrollContainer minWidth={560}>
            <Table striped data-testid="customer-services">
              <Table.Thead><Table.Tr><Table.Th>{t("common.id")}</Table.Th><Table.Th>{t("common.name")}</Table.Th><Table.Th>{t("services.type")}</Table.Th><Table.Th>{t("common.status")}</Table.Th><Table.Th>{t("services.cost")}</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {services.data.data.map((s) => (
                  <Table.Tr key={s.service_id}>
                    <Table.Td>{s.service_id}</Table.Td>
                    <Table.Td><Link to={`/services/${s.service_id}`}>{s.service_name}</Link></Table.Td>
                    <Table.Td>{s.service_type}</Table.Td>
                    <Table.Td><Badge variant="light" color={SERVICE_STATUS_COLORS[s.service_status] ?? "gray"}>{t(`services.statuses.${s.service_status}`, { defaultValue: s.service_status })}</Badge></Table.Td>
                    <Table.Td>{formatMoney(s.retail_cost)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      <AssignPlanModal opened={assigning} onClose={() => setAssigning(false)} customerId={customer.customer_id} customerName={customer.customer_name} />
    </Stack>
  );
}

export function AttributesTab({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Attribute | "new" | null>(null);
  const attributes = useQuery({ queryKey: ["attributes", customerId], queryFn: () => attributesApi.list(customerId) });
  const remove = useMutation({
    mutationFn: (a: Attribute) => attributesApi.remove(a.attribute_id),
    onSuccess: () => { notifySuccess(t("common.deleted")); void queryClient.invalidateQueries({ queryKey: ["attributes", customerId] }); },
    onError: notifyError,
  });
  return (
    <Stack>
      <Group justify="flex-end">
        {allows("create_customer_attribute") && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")}>{t("attributes.add")}</Button>}
      </Group>
      {attributes.isError ? <ErrorState error={attributes.error} onRetry={() => attributes.refetch()} /> : attributes.isPending ? <LoadingState /> :
        !attributes.data.length ? <Text c="dimmed">{t("attributes.empty")}</Text> : (
          <Table.ScrollContainer minWidth={480}>
            <Table striped data-testid="attributes-table">
              <Table.Thead><Table.Tr><Table.Th>{t("attributes.name")}</Table.Th><Table.Th>{t("attributes.value")}</Table.Th><Table.Th>{t("common.created")}</Table.Th><Table.Th>{t("common.actions")}</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {attributes.data.map((a) => (
                  <Table.Tr key={a.attribute_id}>
                    <Table.Td ff="monospace">{a.attribute_name}</Table.Td>
                    <Table.Td style={{ wordBreak: "break-word" }}>{a.attribute_value}</Table.Td>
                    <Table.Td>{formatDateTime(a.created)}</Table.Td>
                    <Table.Td>
                      <RowActions name={a.attribute_name} canEdit={allows("update_customer_attribute")}
                        canDelete={allows("delete_customer_attribute")} onEdit={() => setEditing(a)}
                        deleteTitle={t("attributes.deleteTitle")}
                        deleteMessage={t("attributes.deleteConfirm", { name: a.attribute_name })} onDelete={() => remove.mutate(a)} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("attributes.add") : t("common.edit")}>
        {editing !== null && <AttributeForm customerId={customerId} attribute={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

function AttributeForm({ customerId, attribute, onDone }: { customerId: number; attribute: Attribute | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const form = useForm({
    initialValues: { attribute_name: attribute?.attribute_name ?? "", attribute_value: attribute?.attribute_value ?? "" },
    validate: {
      attribute_name: (v) => (v.trim() ? null : t("common.required")),
      attribute_value: (v) => (!v.trim() ? t("common.required") : v.length > 150 ? t("attributes.tooLong") : null),
    },
  });
  const save = useMutation({
    mutationFn: (values: typeof form.values) => attribute
      ? attributesApi.update(attribute.attribute_id, values)
      : attributesApi.put({ ...values, customer_id: customerId }),
    onSuccess: () => { notifySuccess(t("common.saved")); void queryClient.invalidateQueries({ queryKey: ["attributes", customerId] }); onDone(); },
    onError: (error) => setProblem(applyApiErrors(form, error)),
  });
  return (
    <form onSubmit={form.onSubmit((v) => { setProblem(null); save.mutate({ attribute_name: v.attribute_name.trim(), attribute_value: v.attribute_value.trim() }); })} noValidate>
      <Stack>
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <TextInput label={t("attributes.name")} required {...form.getInputProps("attribute_name")} />
        <TextInput label={t("attributes.value")} required maxLength={150} {...form.getInputProps("attribute_value")} />
        <Group justify="flex-end"><Button variant="default" onClick={onDone}>{t("common.cancel")}</Button><Button type="submit" loading={save.isPending}>{t("common.save")}</Button></Group>
      </Stack>
    </form>
  );
}

/** A tag as the customer page shows it: a pill in its colour, text readable on it, linking out when it has a link. */
export function TagPill({ tag }: { tag: Pick<Tag, "tag_text" | "tag_hex_color" | "tag_link"> }) {
  const hex = `#${(tag.tag_hex_color || "888888").replace(/^#/, "")}`;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) || 0);
  const dark = (0.299 * r + 0.587 * g + 0.114 * b) / 255 < 0.6;
  const pill = <Badge radius="xl" size="lg" style={{ background: hex, color: dark ? "#fff" : "#212529", textTransform: "none" }}>{tag.tag_text || "…"}</Badge>;
  return tag.tag_link ? <Anchor href={tag.tag_link} target="_blank" rel="noreferrer">{pill}</Anchor> : pill;
}

const toApiDate = (v: string) => (v ? `${v.replace("T", " ")}${v.length === 16 ? ":00" : ""}` : "");
const toInputDate = (v?: string | null) => (v ? v.replace(" ", "T").slice(0, 16) : "");

export function TagsTab({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Tag | "new" | null>(null);
  const tags = useQuery({ queryKey: ["tags", customerId], queryFn: () => tagsApi.list(customerId) });
  const remove = useMutation({
    mutationFn: (tag: Tag) => tagsApi.remove(tag.tag_id),
    onSuccess: () => { notifySuccess(t("common.deleted")); void queryClient.invalidateQueries({ queryKey: ["tags", customerId] }); },
    onError: notifyError,
  });
  return (
    <Stack>
      <Group justify="flex-end">
        {allows("create_customer_tag") && <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")} data-testid="add-tag">{t("tags.add")}</Button>}
      </Group>
      {tags.isError ? <ErrorState error={tags.error} onRetry={() => tags.refetch()} /> : tags.isPending ? <LoadingState /> :
        !tags.data.length ? <Text c="dimmed">{t("tags.empty")}</Text> : (
          <Table.ScrollContainer minWidth={560}>
            <Table data-testid="tags-table">
              <Table.Thead><Table.Tr><Table.Th>{t("tags.tag")}</Table.Th><Table.Th>{t("tags.from")}</Table.Th><Table.Th>{t("tags.until")}</Table.Th><Table.Th>{t("common.status")}</Table.Th><Table.Th>{t("common.actions")}</Table.Th></Table.Tr></Table.Thead>
              <Table.Tbody>
                {tags.data.map((tag) => (
                  <Table.Tr key={tag.tag_id}>
                    <Table.Td><TagPill tag={tag} /></Table.Td>
                    <Table.Td>{tag.tag_active_date}</Table.Td>
                    <Table.Td>{tag.tag_deactivate_date}</Table.Td>
                    <Table.Td><Badge variant="light" color={tag.tag_active ? "green" : "gray"}>{tag.tag_active ? t("tags.active") : t("tags.inactive")}</Badge></Table.Td>
                    <Table.Td>
                      <RowActions name={tag.tag_text} canEdit={allows("update_customer_tag")}
                        canDelete={allows("delete_customer_tag")} onEdit={() => setEditing(tag)}
                        deleteTitle={t("tags.deleteTitle")}
                        deleteMessage={t("tags.deleteConfirm", { name: tag.tag_text })} onDelete={() => remove.mutate(tag)} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? t("tags.add") : t("common.edit")}>
        {editing !== null && <TagForm customerId={customerId} tag={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

function TagForm({ customerId, tag, onDone }: { customerId: number; tag: Tag | null; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [problem, setProblem] = useState<string | null>(null);
  const now = new Date().toISOString().slice(0, 16);
  const form = useForm({
    initialValues: {
      tag_text: tag?.tag_text ?? "", tag_hex_color: `#${(tag?.tag_hex_color ?? "405189").replace(/^#/, "")}`,
      tag_link: tag?.tag_link ?? "", tag_active_date: toInputDate(tag?.tag_active_date) || now,
      tag_deactivate_date: toInputDate(tag?.tag_deactivate_date),
    },
    validate: {
      tag_text: (v) => (v.trim() ? null : t("common.required")),
      tag_hex_color: (v) => (/^#?[0-9a-fA-F]{6}$/.test(v) ? null : t("tags.badColour")),
      tag_link: (v) => (!v || /^https?:\/\/\S+$/.test(v) ? null : t("tags.badLink")),
      tag_active_date: (v) => (v ? null : t("common.required")),
      tag_deactivate_date: (v, values) => (v && v <= values.tag_active_date ? t("tags.badDates") : null),
    },
  });
  const save = useMutation({
    mutationFn: (v: typeof form.values) => {
      const body = {
        tag_text: v.tag_text.trim(), tag_hex_color: v.tag_hex_color.replace(/^#/, "").toUpperCase(), tag_link: v.tag_link || null,
        tag_active_date: toApiDate(v.tag_active_date), ...(v.tag_deactivate_date ? { tag_deactivate_date: toApiDate(v.tag_deactivate_date) } : {}),
      };
      return tag ? tagsApi.update(tag.tag_id, body) : tagsApi.create({ ...body, customer_id: customerId });
    },
    onSuccess: () => { notifySuccess(t("common.saved")); void queryClient.invalidateQueries({ queryKey: ["tags", customerId] }); onDone(); },
    onError: (error) => setProblem(applyApiErrors(form, error)),
  });
  return (
    <form onSubmit={form.onSubmit((v) => { setProblem(null); save.mutate(v); })} noValidate>
      <Stack>
        {problem && <Alert color="red" role="alert">{problem}</Alert>}
        <Group><Text size="sm" c="dimmed">{t("tags.preview")}</Text><span data-testid="tag-preview"><TagPill tag={{ ...form.values, tag_link: null }} /></span></Group>
        <TextInput label={t("tags.text")} required {...form.getInputProps("tag_text")} />
        <ColorInput label={t("tags.colour")} required format="hex" swatches={["#405189", "#28a745", "#dc3545", "#ffc107", "#17a2b8", "#FFD700", "#6f42c1", "#343a40"]} {...form.getInputProps("tag_hex_color")} />
        <TextInput label={t("tags.link")} placeholder="https://" {...form.getInputProps("tag_link")} />
        <Group grow wrap="wrap">
          <TextInput type="datetime-local" label={t("tags.from")} required {...form.getInputProps("tag_active_date")} />
          <TextInput type="datetime-local" label={t("tags.until")} {...form.getInputProps("tag_deactivate_date")} />
        </Group>
        <Group justify="flex-end"><Button variant="default" onClick={onDone}>{t("common.cancel")}</Button><Button type="submit" loading={save.isPending}>{t("common.save")}</Button></Group>
      </Stack>
    </form>
  );
}

function changeText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export function ActivityTab({ customerId }: { customerId: number }) {
  const { t } = useTranslation();
  const [params, setParamsState] = useState<ListParams>(() => parseListParams(new URLSearchParams(), { per_page: 20, order: "desc" }));
  const setParams = (change: Partial<ListParams>) => setParamsState((p) => updateListParams(p, change));
  const activity = useQuery({ queryKey: ["activity", customerId, params], queryFn: () => activityApi.list(customerId, params), placeholderData: keepPreviousData });
  if (activity.isError) return <ErrorState error={activity.error} onRetry={() => activity.refetch()} />;
  if (activity.isPending) return <LoadingState />;
  return (
    <Stack>
      <Table.ScrollContainer minWidth={640}>
        <Table striped data-testid="activity-table">
          <Table.Thead><Table.Tr><Table.Th>{t("activity.when")}</Table.Th><Table.Th>{t("activity.what")}</Table.Th><Table.Th>{t("activity.who")}</Table.Th><Table.Th>{t("activity.changes")}</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {!activity.data.data.length && <Table.Tr><Table.Td colSpan={4}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>}
            {activity.data.data.map((entry) => (
              <Table.Tr key={entry.activity_id}>
                <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(entry.created)}</Table.Td>
                <Table.Td><Badge size="xs" variant="light" mr={4}>{entry.entity_type} · {entry.action}</Badge>{entry.description}</Table.Td>
                <Table.Td>{entry.actor}</Table.Td>
                <Table.Td>
                  {entry.changes && Object.entries(entry.changes).filter(([k]) => !["created", "last_modified"].includes(k)).slice(0, 6).map(([field, c]) => (
                    <Text key={field} size="xs" style={{ wordBreak: "break-word" }}><b>{field}</b>: {changeText(c?.before)} → {changeText(c?.after)}</Text>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListFooter pagination={activity.data.pagination} params={params} onChange={setParams} />
    </Stack>
  );
}

