import {
  Alert, Anchor, Badge, Button, Card, Checkbox, Code, Group, Modal, MultiSelect, NumberInput, PinInput, SegmentedControl,
  Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title,
} from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError } from "../api";
import {
  CBC_CATEGORIES, CBC_STATUSES, cbcApi, cbcPreview, type CbcInput, type CbcMessage, type CbcStatus, type TrackingArea,
} from "../api/cbc";
import { useAuth } from "../auth/AuthContext";
import { AreasEditor, CbcCounter, LanguagesEditor } from "../components/CbcEditors";
import { CbcMap } from "../components/CbcMap";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { confirmDanger, notifyError, notifySuccess } from "../lib/feedback";

const STATUS_COLOR: Record<CbcStatus, string> = {
  draft: "gray", pending_approval: "yellow", active: "green", expired: "dark", cancelled: "gray", failed: "red",
};

export function CbcStatusBadge({ status }: { status: CbcStatus }) {
  const { t } = useTranslation();
  return <Badge color={STATUS_COLOR[status]} variant="light" data-testid="cbc-status">{t(`cbc.statuses.${status}`)}</Badge>;
}

function apiErrors(error: unknown): Record<string, string> {
  return error instanceof ApiError ? error.errors : {};
}

/** "Manage Cell Broadcasts": every alert with its status; the pending filter is the approval inbox. */
export function CbcListPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const navigate = useNavigate();
  const [status, setStatus] = useState<CbcStatus | "all">("all");
  const list = useQuery({ queryKey: ["cbc", status], queryFn: () => cbcApi.list(status), refetchInterval: 15000 });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("cbc.title")}</Title>
        <Group>
          <Button variant="default" component={Link} to="/cbc/zones">{t("cbc.zones")}</Button>
          {allows("create_cbc_message") && <Button component={Link} to="/cbc/new" data-testid="cbc-create">{t("cbc.create")}</Button>}
        </Group>
      </Group>
      <SegmentedControl value={status} onChange={(v) => setStatus(v as CbcStatus | "all")} data-testid="cbc-status-filter"
        data={[{ value: "all", label: t("cbc.statuses.all") }, ...CBC_STATUSES.map((s) => ({ value: s, label: t(`cbc.statuses.${s}`) }))]} />
      {list.isError ? <ErrorState error={list.error} onRetry={() => list.refetch()} /> : list.isPending ? <LoadingState /> : (
        <Table.ScrollContainer minWidth={760}>
          <Table striped highlightOnHover data-testid="cbc-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("common.id")}</Table.Th><Table.Th>{t("cbc.identifier")}</Table.Th><Table.Th>{t("cbc.category")}</Table.Th>
                <Table.Th>{t("common.status")}</Table.Th><Table.Th>{t("cbc.languages")}</Table.Th><Table.Th>{t("cbc.trackingAreas")}</Table.Th>
                <Table.Th>{t("cbc.initiatingUser")}</Table.Th><Table.Th>{t("common.created")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.data.length === 0 && <Table.Tr><Table.Td colSpan={8}><Text c="dimmed" ta="center">{t("cbc.none")}</Text></Table.Td></Table.Tr>}
              {list.data.data.map((m) => (
                <Table.Tr key={m.cbc_message_id} style={{ cursor: "pointer" }} data-testid={`cbc-row-${m.cbc_message_id}`}
                  onClick={() => navigate(`/cbc/${m.cbc_message_id}`)}>
                  <Table.Td><Anchor component={Link} to={`/cbc/${m.cbc_message_id}`}>{m.cbc_message_id}</Anchor></Table.Td>
                  <Table.Td>{m.messageIdentifier} · {m.identifier.name}</Table.Td>
                  <Table.Td>{t(`cbc.categories.${m.category}`)}</Table.Td>
                  <Table.Td>
                    <Group gap={4}><CbcStatusBadge status={m.status} />
                      {m.pending_update && <Badge color="yellow" variant="outline" data-testid="cbc-row-pending-update">{t("cbc.pendingUpdate")}</Badge>}</Group>
                  </Table.Td>
                  <Table.Td>{m.localized_messages.map((l) => l.language).join(", ")}</Table.Td>
                  <Table.Td>{m.all_cells ? <Badge color="red">ALL</Badge> : m.tracking_areas.length}</Table.Td>
                  <Table.Td>{m.initiating_user_email}</Table.Td>
                  <Table.Td>{formatDateTime(m.created)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

const EMPTY: CbcInput = {
  messageIdentifier: "4352", category: "extreme", repetitionPeriod: 10, numberOfBroadcasts: 999, warningPeriodSec: 3600,
  channelIndicator: "basic", template: null, localized_messages: [{ language: "en", messageBody: "" }], tracking_areas: [],
  zone_ids: [], all_cells: false,
};

function AllCellsWarning() {
  const { t } = useTranslation();
  return <Alert color="red" icon={<IconAlertTriangle />} data-testid="cbc-all-cells-warning">{t("cbc.allCellsWarning")}</Alert>;
}

/** Create Alert: from a template or from scratch, live counters per language, targeting, then the review step. */
export function CbcCreatePage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const templates = useQuery({ queryKey: ["cbc-templates"], queryFn: cbcApi.templates });
  const identifiers = useQuery({ queryKey: ["cbc-identifiers"], queryFn: cbcApi.identifiers });
  const zones = useQuery({ queryKey: ["cbc-zones"], queryFn: cbcApi.zones });
  const [form, setForm] = useState<CbcInput>(EMPTY);
  const [reviewing, setReviewing] = useState(false);
  const set = (patch: Partial<CbcInput>) => setForm((f) => ({ ...f, ...patch }));
  const save = useMutation({
    mutationFn: (draft: boolean) => cbcApi.create({ ...form, draft }),
    onSuccess: async (m) => {
      notifySuccess(t("cbc.created"));
      await queryClient.invalidateQueries({ queryKey: ["cbc"] });
      navigate(`/cbc/${m.cbc_message_id}`);
    },
    onError: (e) => { setReviewing(false); notifyError(e); },
  });
  const errors = apiErrors(save.error);
  const untargeted = form.tracking_areas.length === 0 && (form.zone_ids ?? []).length === 0;
  const applyTemplate = (key: string | null) => {
    const tpl = templates.data?.data.find((x) => x.key === key);
    if (!tpl) return set({ template: null });
    set({
      template: tpl.key, messageIdentifier: tpl.messageIdentifier, category: tpl.category, repetitionPeriod: tpl.repetitionPeriod,
      numberOfBroadcasts: tpl.numberOfBroadcasts, warningPeriodSec: tpl.warningPeriodSec, channelIndicator: tpl.channelIndicator,
      localized_messages: tpl.localized_messages.map((m) => ({ ...m })),
    });
  };
  if (templates.isPending || identifiers.isPending || zones.isPending) return <LoadingState />;
  if (templates.isError) return <ErrorState error={templates.error} />;
  const preview = cbcPreview(form, zones.data?.data ?? []);

  if (reviewing) {
    return (
      <Stack data-testid="cbc-review">
        <Title order={2}>{t("cbc.reviewTitle")}</Title>
        {form.all_cells && <AllCellsWarning />}
        <Card withBorder>
          <Text fw={600}>{t("cbc.reviewAreas")}</Text>
          {preview.all_cells ? <Text c="red" fw={700}>ALL CELLS</Text> : (
            <Table data-testid="cbc-review-areas">
              <Table.Tbody>
                {preview.tracking_areas.map((a, i) => (
                  <Table.Tr key={i}><Table.Td>{a.tracking_area}</Table.Td><Table.Td>{a.cell_id ?? ""}</Table.Td><Table.Td>{a.operator}</Table.Td><Table.Td>{a.rat_type}</Table.Td></Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Card>
        <Code block data-testid="cbc-review-payload">{JSON.stringify(preview, null, 2)}</Code>
        <Group>
          <Button variant="default" onClick={() => setReviewing(false)}>{t("cbc.back")}</Button>
          <Button color="red" loading={save.isPending} onClick={() => save.mutate(false)} data-testid="cbc-send">{t("cbc.send")}</Button>
        </Group>
      </Stack>
    );
  }

  return (
    <Stack>
      <Title order={2}>{t("cbc.create")}</Title>
      <Select label={t("cbc.template")} placeholder={t("cbc.noTemplate")} clearable data-testid="cbc-template"
        data={(templates.data?.data ?? []).map((x) => ({ value: x.key, label: `${x.name} (${x.messageIdentifier})` }))}
        value={form.template ?? null} onChange={applyTemplate} />
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select label={t("cbc.identifier")} searchable allowDeselect={false} value={form.messageIdentifier} error={errors.messageIdentifier}
          data={(identifiers.data?.data ?? []).map((i) => ({ value: i.messageIdentifier, label: `${i.messageIdentifier} · ${i.name}` }))}
          onChange={(v) => set({ messageIdentifier: v ?? form.messageIdentifier })} data-testid="cbc-identifier" />
        <Select label={t("cbc.category")} allowDeselect={false} value={form.category} error={errors.category}
          data={CBC_CATEGORIES.map((c) => ({ value: c, label: t(`cbc.categories.${c}`) }))} onChange={(v) => set({ category: v ?? "normal" })} />
        <TextInput label={t("cbc.channelIndicator")} value={form.channelIndicator} onChange={(e) => set({ channelIndicator: e.currentTarget.value })} />
        <NumberInput label={t("cbc.repetitionPeriod")} min={1} max={4095} value={form.repetitionPeriod} error={errors.repetitionPeriod}
          onChange={(v) => set({ repetitionPeriod: Number(v) || 0 })} />
        <NumberInput label={t("cbc.numberOfBroadcasts")} min={1} max={65535} value={form.numberOfBroadcasts} error={errors.numberOfBroadcasts}
          onChange={(v) => set({ numberOfBroadcasts: Number(v) || 0 })} />
        <NumberInput label={t("cbc.warningPeriodSec")} min={1} value={form.warningPeriodSec} error={errors.warningPeriodSec}
          onChange={(v) => set({ warningPeriodSec: Number(v) || 0 })} />
      </SimpleGrid>
      <Title order={4}>{t("cbc.languages")}</Title>
      <LanguagesEditor value={form.localized_messages} onChange={(v) => set({ localized_messages: v })} errors={errors} />
      <Title order={4}>{t("cbc.trackingAreas")}</Title>
      <MultiSelect label={t("cbc.savedZones")} data={(zones.data?.data ?? []).map((z) => ({ value: String(z.zone_id), label: z.name }))}
        value={(form.zone_ids ?? []).map(String)} onChange={(v) => set({ zone_ids: v.map(Number) })} />
      <AreasEditor value={form.tracking_areas} onChange={(v: TrackingArea[]) => set({ tracking_areas: v, all_cells: false })} errors={errors} />
      {errors.tracking_areas && <Text c="red" size="sm">{errors.tracking_areas}</Text>}
      {untargeted && (
        <Stack gap="xs">
          <AllCellsWarning />
          <Checkbox label={t("cbc.allCellsConfirm")} checked={Boolean(form.all_cells)} data-testid="cbc-all-cells"
            onChange={(e) => set({ all_cells: e.currentTarget.checked })} />
        </Stack>
      )}
      <Group>
        <Button variant="default" loading={save.isPending} onClick={() => save.mutate(true)}>{t("cbc.draft")}</Button>
        <Button onClick={() => setReviewing(true)} disabled={untargeted && !form.all_cells} data-testid="cbc-review-button">{t("cbc.review")}</Button>
      </Group>
    </Stack>
  );
}

/** One alert: what was sent, to where, its status and history; approve (TOTP), reject, update, stop, retry. */
export function CbcAlertPage() {
  const { t } = useTranslation();
  const { cbcMessageId } = useParams();
  const id = Number(cbcMessageId);
  const { allows, user } = useAuth();
  const queryClient = useQueryClient();
  const alert = useQuery({ queryKey: ["cbc", "item", id], queryFn: () => cbcApi.get(id) });
  const [totp, setTotp] = useState("");
  const [reason, setReason] = useState("");
  const [editing, setEditing] = useState<CbcInput | null>(null);
  const done = (message: string) => async (m: CbcMessage) => {
    notifySuccess(message);
    queryClient.setQueryData(["cbc", "item", id], m);
    await queryClient.invalidateQueries({ queryKey: ["cbc"] });
  };
  const approve = useMutation({ mutationFn: () => cbcApi.approve(id, totp), onSuccess: done(t("cbc.approved")), onError: notifyError, onSettled: () => setTotp("") });
  const reject = useMutation({ mutationFn: () => cbcApi.reject(id, reason), onSuccess: done(t("cbc.rejected")), onError: notifyError });
  const approveUpdate = useMutation({ mutationFn: () => cbcApi.approve(id, totp), onSuccess: done(t("cbc.updateApproved")), onError: notifyError, onSettled: () => setTotp("") });
  const rejectUpdate = useMutation({
    mutationFn: () => cbcApi.reject(id, reason),
    onSuccess: async (m) => { setReason(""); await done(t("cbc.updateRejected"))(m); },
    onError: notifyError,
  });
  const submit = useMutation({ mutationFn: () => cbcApi.submit(id), onSuccess: done(t("cbc.updated")), onError: notifyError });
  const retry = useMutation({ mutationFn: () => cbcApi.retry(id), onSuccess: done(t("cbc.retried")), onError: notifyError });
  const stop = useMutation({ mutationFn: () => cbcApi.cancel(id), onSuccess: done(t("cbc.cancelled")), onError: notifyError });
  const update = useMutation({
    mutationFn: (body: CbcInput) => cbcApi.update(id, body),
    onSuccess: async (m) => { setEditing(null); await done(t(m.pending_update ? "cbc.updateProposed" : "cbc.updated"))(m); },
    onError: notifyError,
  });
  if (alert.isError) return <ErrorState error={alert.error} onRetry={() => alert.refetch()} />;
  if (alert.isPending) return <LoadingState />;
  const m = alert.data;
  const own = user?.id === m.initiating_user;
  const live = !["expired", "cancelled"].includes(m.status);
  const inFlight = m.status === "active" || m.status === "failed";
  const pending = inFlight ? m.pending_update ?? null : null;
  const ownProposal = pending !== null && user?.id === pending.proposed_by;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>#{m.cbc_message_id} · {m.messageIdentifier} {m.identifier.name}</Title>
        <CbcStatusBadge status={m.status} />
      </Group>
      {m.all_cells && <AllCellsWarning />}
      {m.last_error && <Alert color="red" title={t("cbc.lastError")} data-testid="cbc-last-error">{m.last_error}</Alert>}
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <Text size="sm"><b>{t("cbc.category")}:</b> {t(`cbc.categories.${m.category}`)}</Text>
        <Text size="sm"><b>{t("cbc.severity")}:</b> {m.severity}</Text>
        <Text size="sm"><b>{t("cbc.initiatingUser")}:</b> {m.initiating_user_email}</Text>
        <Text size="sm" data-testid="cbc-approver"><b>{t("cbc.approvingUser")}:</b> {m.approving_user_email ?? "—"}</Text>
        <Text size="sm"><b>{t("cbc.sentAt")}:</b> {formatDateTime(m.sent_at)}</Text>
        <Text size="sm"><b>{t("cbc.expiresAt")}:</b> {formatDateTime(m.expires_at)}</Text>
        <Text size="sm"><b>{t("cbc.repetitionPeriod")}:</b> {m.repetitionPeriod}</Text>
        <Text size="sm"><b>{t("cbc.numberOfBroadcasts")}:</b> {m.numberOfBroadcasts}</Text>
      </SimpleGrid>

      {m.status === "pending_approval" && allows("approve_cbc_message") && (own ? <Alert color="yellow">{t("cbc.ownAlert")}</Alert> : (
        <Card withBorder data-testid="cbc-approval">
          <Stack gap="xs">
            <Text size="sm">{t("cbc.totpHelp")}</Text>
            <Group align="flex-end">
              <Stack gap={4}>
                <Text size="sm">{t("cbc.totp")}</Text>
                <PinInput length={6} type="number" oneTimeCode value={totp} onChange={setTotp} aria-label={t("cbc.totp")} data-testid="cbc-totp" />
              </Stack>
              <Button color="green" disabled={totp.length !== 6} loading={approve.isPending} onClick={() => approve.mutate()} data-testid="cbc-approve">{t("cbc.approve")}</Button>
            </Group>
            <Group align="flex-end">
              <TextInput label={t("cbc.reason")} value={reason} onChange={(e) => setReason(e.currentTarget.value)} w={320} />
              <Button color="orange" variant="light" disabled={!reason.trim()} loading={reject.isPending} onClick={() => reject.mutate()}>{t("cbc.reject")}</Button>
            </Group>
          </Stack>
        </Card>
      ))}

      {pending && (
        <Card withBorder data-testid="cbc-pending-update" style={{ borderColor: "var(--mantine-color-yellow-6)" }}>
          <Stack gap="xs">
            <Group justify="space-between">
              <Title order={4}>{t("cbc.pendingUpdate")}</Title>
              <Badge color="yellow" variant="light">{t("cbc.statuses.pending_approval")}</Badge>
            </Group>
            <Text size="sm" data-testid="cbc-pending-by">{t("cbc.pendingUpdateBy", { email: pending.proposed_by_email ?? "—", when: formatDateTime(pending.proposed_at) })}</Text>
            {pending.values.localized_messages && (
              <>
                <Text size="sm" fw={600}>{t("cbc.proposedTexts")}</Text>
                {pending.values.localized_messages.map((l) => (
                  <Card withBorder key={l.language} p="xs">
                    <Text size="sm" fw={600}>{l.language}</Text>
                    <Text size="sm" style={{ whiteSpace: "pre-wrap" }} data-testid="cbc-pending-text">{l.messageBody}</Text>
                  </Card>
                ))}
              </>
            )}
            {pending.changes && (
              <>
                <Text size="sm" fw={600}>{t("cbc.proposedChanges")}</Text>
                <Code block data-testid="cbc-pending-changes">{JSON.stringify(pending.changes, null, 2)}</Code>
              </>
            )}
            {allows("approve_cbc_message") && (ownProposal ? <Alert color="yellow">{t("cbc.ownUpdate")}</Alert> : (
              <Stack gap="xs" data-testid="cbc-update-approval">
                <Text size="sm">{t("cbc.updateTotpHelp")}</Text>
                <Group align="flex-end">
                  <Stack gap={4}>
                    <Text size="sm">{t("cbc.totp")}</Text>
                    <PinInput length={6} type="number" oneTimeCode value={totp} onChange={setTotp} aria-label={t("cbc.totp")} data-testid="cbc-update-totp" />
                  </Stack>
                  <Button color="green" disabled={totp.length !== 6} loading={approveUpdate.isPending} onClick={() => approveUpdate.mutate()} data-testid="cbc-update-approve">{t("cbc.approve")}</Button>
                </Group>
                <Group align="flex-end">
                  <TextInput label={t("cbc.reason")} value={reason} onChange={(e) => setReason(e.currentTarget.value)} w={320} data-testid="cbc-update-reason" />
                  <Button color="orange" variant="light" disabled={!reason.trim()} loading={rejectUpdate.isPending} onClick={() => rejectUpdate.mutate()} data-testid="cbc-update-reject">{t("cbc.reject")}</Button>
                </Group>
              </Stack>
            ))}
          </Stack>
        </Card>
      )}

      <Group>
        {m.status === "draft" && allows("create_cbc_message") && <Button onClick={() => submit.mutate()} loading={submit.isPending}>{t("cbc.submit")}</Button>}
        {live && allows("update_cbc_message") && (
          <Button variant="light" data-testid="cbc-edit" onClick={() => setEditing({
            ...m, zone_ids: [], tracking_areas: m.tracking_areas.map(({ tracking_area, cell_id, operator, rat_type }) => ({ tracking_area, cell_id, operator, rat_type })),
          })}>{t("cbc.edit")}</Button>
        )}
        {m.status === "failed" && m.pending_action === "send" && allows("update_cbc_message") && (
          <Button color="orange" onClick={() => retry.mutate()} loading={retry.isPending} data-testid="cbc-retry">{t("cbc.retry")}</Button>
        )}
        {live && allows("delete_cbc_message") && (
          <Button color="red" variant="light" loading={stop.isPending} data-testid="cbc-stop" onClick={() => confirmDanger({
            title: t("cbc.stop"), message: <Text size="sm">{t("cbc.stopConfirm")}</Text>, confirmLabel: t("cbc.stop"), onConfirm: () => stop.mutate(),
          })}>{t("cbc.stop")}</Button>
        )}
      </Group>

      <Title order={4}>{t("cbc.languages")}</Title>
      {m.localized_messages.map((l) => (
        <Card withBorder key={l.language}>
          <Text fw={600}>{l.language}</Text>
          <Text style={{ whiteSpace: "pre-wrap" }}>{l.messageBody}</Text>
          <CbcCounter body={l.messageBody} />
        </Card>
      ))}
      <Title order={4}>{t("cbc.trackingAreas")}</Title>
      {m.all_cells ? <Text c="red" fw={700}>ALL CELLS</Text> : (
        <Table data-testid="cbc-areas">
          <Table.Thead><Table.Tr><Table.Th>{t("cbc.trackingArea")}</Table.Th><Table.Th>{t("cbc.cellId")}</Table.Th><Table.Th>{t("cbc.operator")}</Table.Th><Table.Th>{t("cbc.ratType")}</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>{m.tracking_areas.map((a, i) => (
            <Table.Tr key={i}><Table.Td>{a.tracking_area}</Table.Td><Table.Td>{a.cell_id ?? ""}</Table.Td><Table.Td>{a.operator}</Table.Td><Table.Td>{a.rat_type}</Table.Td></Table.Tr>
          ))}</Table.Tbody>
        </Table>
      )}
      <Title order={4}>{t("cbc.payload")}</Title>
      <Code block data-testid="cbc-payload">{JSON.stringify(m.cbc_payload ?? cbcPreview(m, []), null, 2)}</Code>
      {m.cbc_ack && <><Title order={4}>{t("cbc.ack")}</Title><Code block data-testid="cbc-ack">{JSON.stringify(m.cbc_ack, null, 2)}</Code></>}
      <Title order={4}>{t("cbc.history")}</Title>
      <Table striped data-testid="cbc-history">
        <Table.Tbody>{(m.history ?? []).map((h, i) => (
          <Table.Tr key={i}>
            <Table.Td>{formatDateTime(h.created)}</Table.Td><Table.Td>{h.action}</Table.Td><Table.Td>{h.actor}</Table.Td>
            <Table.Td>{h.status_from ?? ""} → {h.status_to ?? ""}</Table.Td>
            <Table.Td><Text size="xs" lineClamp={2}>{h.details ? JSON.stringify(h.details) : ""}</Text></Table.Td>
          </Table.Tr>
        ))}</Table.Tbody>
      </Table>

      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={t("cbc.edit")} size="xl">
        {editing && (
          <Stack>
            <NumberInput label={t("cbc.numberOfBroadcasts")} value={editing.numberOfBroadcasts} onChange={(v) => setEditing({ ...editing, numberOfBroadcasts: Number(v) || 0 })} />
            <NumberInput label={t("cbc.warningPeriodSec")} value={editing.warningPeriodSec} onChange={(v) => setEditing({ ...editing, warningPeriodSec: Number(v) || 0 })} />
            <LanguagesEditor value={editing.localized_messages} onChange={(v) => setEditing({ ...editing, localized_messages: v })} errors={apiErrors(update.error)} />
            <AreasEditor value={editing.tracking_areas} onChange={(v) => setEditing({ ...editing, tracking_areas: v })} errors={apiErrors(update.error)} />
            {inFlight && m.approval_required && <Alert color="yellow" data-testid="cbc-update-needs-approval">{t("cbc.updateNeedsApproval")}</Alert>}
            <Button loading={update.isPending} onClick={() => update.mutate({
              numberOfBroadcasts: editing.numberOfBroadcasts, warningPeriodSec: editing.warningPeriodSec,
              localized_messages: editing.localized_messages.map(({ language, messageBody }) => ({ language, messageBody })),
              tracking_areas: editing.tracking_areas, all_cells: editing.tracking_areas.length === 0 ? m.all_cells : false,
            } as CbcInput)}>{t("common.save")}</Button>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}

function point(text: string) {
  const [lat, lng] = text.split(",").map((x) => Number(x.trim()));
  return { lat, lng };
}

/** Saved zones: polygon, circle or rectangle typed as coordinates (works offline, no map needed). */
export function CbcZonesPage() {
  const { t } = useTranslation();
  const { allows } = useAuth();
  const queryClient = useQueryClient();
  const zones = useQuery({ queryKey: ["cbc-zones"], queryFn: cbcApi.zones });
  const mapConfig = useQuery({ queryKey: ["cbc-map"], queryFn: cbcApi.mapConfig });
  const [name, setName] = useState("");
  const [shape, setShape] = useState<"polygon" | "circle" | "rectangle">("polygon");
  const [points, setPoints] = useState("");
  const [radius, setRadius] = useState<number>(1000);
  const [areas, setAreas] = useState<TrackingArea[]>([]);
  const coordinates = () => {
    const lines = points.split("\n").map((l) => l.trim()).filter(Boolean);
    if (shape === "polygon") return lines.map(point);
    if (shape === "circle") return { center: point(lines[0] ?? ""), radius_m: radius };
    return { south_west: point(lines[0] ?? ""), north_east: point(lines[1] ?? "") };
  };
  const create = useMutation({
    mutationFn: () => cbcApi.createZone({ name, shape, coordinates: coordinates(), tracking_areas: areas }),
    onSuccess: async () => {
      notifySuccess(t("cbc.zoneSaved"));
      setName(""); setPoints(""); setAreas([]);
      await queryClient.invalidateQueries({ queryKey: ["cbc-zones"] });
    },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: (id: number) => cbcApi.deleteZone(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["cbc-zones"] }), onError: notifyError,
  });
  const errors = apiErrors(create.error);
  const lines = points.split("\n").map((l) => l.trim()).filter(Boolean);
  const pick = ({ lat, lng }: { lat: number; lng: number }) => {
    const line = `${lat.toFixed(5)},${lng.toFixed(5)}`;
    const next = shape === "polygon" ? [...lines, line] : shape === "circle" ? [line] : lines.length === 1 ? [...lines, line] : [line];
    setPoints(next.join("\n"));
  };
  return (
    <Stack>
      <Title order={2}>{t("cbc.zones")}</Title>
      {zones.isError ? <ErrorState error={zones.error} /> : zones.isPending ? <LoadingState /> : (
        <Table striped data-testid="cbc-zones">
          <Table.Tbody>{zones.data.data.map((z) => (
            <Table.Tr key={z.zone_id}>
              <Table.Td>{z.name}</Table.Td><Table.Td>{t(`cbc.shapes.${z.shape}`)}</Table.Td>
              <Table.Td><Text size="xs">{JSON.stringify(z.coordinates)}</Text></Table.Td>
              <Table.Td>{z.tracking_areas.map((a) => `${a.tracking_area}/${a.operator}/${a.rat_type}`).join(", ")}</Table.Td>
              <Table.Td>{allows("delete_cbc_message") && <Button size="xs" color="red" variant="subtle" onClick={() => remove.mutate(z.zone_id)}>{t("common.delete")}</Button>}</Table.Td>
            </Table.Tr>
          ))}</Table.Tbody>
        </Table>
      )}
      {allows("create_cbc_message") && (
        <Card withBorder>
          <Stack>
            <Title order={4}>{t("cbc.addZone")}</Title>
            <Group align="flex-start">
              <TextInput label={t("cbc.zoneName")} value={name} onChange={(e) => setName(e.currentTarget.value)} error={errors.name} />
              <Select label={t("cbc.shape")} value={shape} allowDeselect={false} onChange={(v) => setShape((v ?? "polygon") as typeof shape)}
                data={(["polygon", "circle", "rectangle"] as const).map((s) => ({ value: s, label: t(`cbc.shapes.${s}`) }))} />
              {shape === "circle" && <NumberInput label={t("cbc.radius")} value={radius} onChange={(v) => setRadius(Number(v) || 0)} />}
            </Group>
            {mapConfig.data && (
              <CbcMap tileTemplate={mapConfig.data.tile_url} attribution={mapConfig.data.attribution} shape={shape}
                points={lines.map(point)} radius={radius} onPick={pick} />
            )}
            <Text size="xs" c="dimmed">{t("cbc.mapHelp")}</Text>
            <Textarea autosize minRows={3} value={points} onChange={(e) => setPoints(e.currentTarget.value)} error={errors.coordinates}
              label={shape === "polygon" ? t("cbc.points") : shape === "circle" ? t("cbc.center") : `${t("cbc.southWest")} / ${t("cbc.northEast")}`}
              placeholder={"-33.8688,151.2093\n-33.8650,151.2070\n-33.8600,151.2150"} />
            <AreasEditor value={areas} onChange={setAreas} errors={errors} />
            <Button w="fit-content" onClick={() => create.mutate()} loading={create.isPending}>{t("common.save")}</Button>
          </Stack>
        </Card>
      )}
    </Stack>
  );
}
