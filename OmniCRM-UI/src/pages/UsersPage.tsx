import {
  ActionIcon, Alert, Badge, Button, Checkbox, CopyButton, Group, Modal, MultiSelect, PasswordInput, Stack, Switch,
  Table, Tabs, Text, TextInput, Title, Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { modals } from "@mantine/modals";
import { useDebouncedCallback } from "@mantine/hooks";
import {
  IconEdit, IconKey, IconLogout2, IconMailForward, IconRestore, IconSearch, IconSend, IconShieldOff, IconTrash, IconUserPlus,
} from "@tabler/icons-react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Page } from "../api";
import { useAuth } from "../auth/AuthContext";
import { ListFooter, SortableTh } from "../components/ListControls";
import { ErrorState, LoadingState } from "../components/States";
import { formatDateTime } from "../config";
import { applyApiErrors, confirmDanger, notifyError, notifySuccess } from "../lib/feedback";
import { toApiQuery } from "../lib/listParams";
import { generateTempPassword, passwordProblems } from "../lib/password";
import { useListParams } from "../lib/useListParams";

export interface User {
  id: number;
  username: string;
  email: string;
  first_name: string;
  middle_name?: string | null;
  last_name: string;
  phone_number?: string | null;
  roles: string[];
  active: boolean;
  deleted: boolean;
  is_2fa_enabled: boolean;
  login_count: number;
  last_login?: string | null;
  email_verified?: boolean;
  pending_email?: string | null;
}

interface Role {
  id: number;
  name: string;
  description?: string | null;
  permissions: { id: number; name: string }[];
  users: { id: number; email: string }[];
}

const DEFAULTS = { per_page: 20, sort: "id", order: "asc" as const };

const fullName = (u: User) => [u.first_name, u.middle_name, u.last_name].filter(Boolean).join(" ");

function useRoles() {
  return useQuery({ queryKey: ["roles"], queryFn: () => api.get<Role[]>("/crm/auth/roles") });
}

export function UsersPage() {
  const { t } = useTranslation();
  return (
    <Stack>
      <Title order={2}>{t("users.title")}</Title>
      <Tabs defaultValue="users" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="users">{t("users.usersTab")}</Tabs.Tab>
          <Tabs.Tab value="roles">{t("users.rolesTab")}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="users" pt="md"><UsersTable /></Tabs.Panel>
        <Tabs.Panel value="roles" pt="md"><RolesTable /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function UsersTable() {
  const { t } = useTranslation();
  const { user: me, updateUser } = useAuth();
  const queryClient = useQueryClient();
  const [params, setParams] = useListParams(DEFAULTS);
  const [searchText, setSearchText] = useState(params.search);
  const pushSearch = useDebouncedCallback((search: string) => setParams({ search }), 300);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const showDeleted = (params.filters.deleted ?? []).includes(true);

  const users = useQuery({
    queryKey: ["users", params],
    queryFn: () => api.get<Page<User>>("/crm/auth/users", toApiQuery(params)),
    placeholderData: keepPreviousData,
  });

  const update = useMutation({
    mutationFn: ({ id, body }: { id: number; body: object }) => api.put<User>(`/crm/auth/users/${id}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }),
  });
  const remove = useMutation({
    mutationFn: (user: User) => api.delete(`/crm/auth/users/${user.id}`),
    onSuccess: (_data, user) => {
      notifySuccess(t("users.deleted_ok", { email: user.email }));
      return queryClient.invalidateQueries({ queryKey: ["users"] });
    },
    onError: notifyError,
  });
  const resetTwoFactor = useMutation({
    mutationFn: (user: User) => api.post<{ message: string }>(`/crm/2fa/admin/disable/user/${user.id}`),
    onSuccess: (answer, user) => {
      if (user.id === me?.id) updateUser({ is_2fa_enabled: false });
      notifySuccess(answer.message);
      return queryClient.invalidateQueries({ queryKey: ["users"] });
    },
    onError: notifyError,
  });

  const sendWelcome = useMutation({
    mutationFn: (user: User) => api.post<{ message: string }>(`/crm/auth/users/${user.id}/send_welcome_email`),
    onSuccess: (answer) => notifySuccess(answer.message),
    onError: notifyError,
  });
  const resendVerification = useMutation({
    mutationFn: (user: User) => api.post<{ message: string }>(`/crm/auth/users/${user.id}/resend_verification`),
    onSuccess: (answer) => notifySuccess(answer.message),
    onError: notifyError,
  });
  const endSessions = useMutation({
    mutationFn: (user: User) => api.delete<{ message: string }>(`/crm/auth/users/${user.id}/sessions`),
    onSuccess: (answer) => notifySuccess(answer.message),
    onError: notifyError,
  });

  // Spec 02 §7.10a: only for users who never logged in; the e-mail carries a link to set the password.
  const askSendWelcome = (user: User) => modals.openConfirmModal({
    title: t("users.sendWelcome"),
    children: <Text size="sm">{t("users.sendWelcomeConfirm", { name: fullName(user), email: user.email })}</Text>,
    labels: { confirm: t("users.sendWelcomeButton"), cancel: t("common.cancel") },
    confirmProps: { "data-testid": "confirm-send-welcome" } as never,
    onConfirm: () => sendWelcome.mutate(user),
  });

  const askEndSessions = (user: User) => confirmDanger({
    title: t("users.endSessions"),
    message: <Text size="sm">{t("users.endSessionsConfirm", { name: fullName(user), email: user.email })}</Text>,
    confirmLabel: t("users.endSessions"),
    onConfirm: () => endSessions.mutate(user),
  });

  const askResetTwoFactor = (user: User) => confirmDanger({
    title: t("users.reset2fa"),
    message: <Text size="sm">{t("users.reset2faConfirm", { name: fullName(user), email: user.email })}</Text>,
    confirmLabel: t("users.reset2fa"),
    onConfirm: () => resetTwoFactor.mutate(user),
  });

  const askDelete = (user: User) => confirmDanger({
    title: t("users.deleteTitle"),
    message: <Text size="sm">{t("users.deleteConfirm", { name: fullName(user), email: user.email })}</Text>,
    confirmLabel: t("users.deleteTitle"),
    onConfirm: () => remove.mutate(user),
  });

  const restore = (user: User) => update.mutate({ id: user.id, body: { deleted: false } }, {
    onSuccess: () => notifySuccess(t("users.restored_ok", { email: user.email })),
    onError: notifyError,
  });

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Group wrap="wrap">
          <TextInput
            leftSection={<IconSearch size={16} />}
            placeholder={t("users.searchPlaceholder")}
            aria-label={t("common.search")}
            value={searchText}
            onChange={(e) => {
              setSearchText(e.currentTarget.value);
              pushSearch(e.currentTarget.value.trim());
            }}
            w={{ base: "100%", sm: 320 }}
          />
          <Switch
            label={t("users.showDeleted")}
            checked={showDeleted}
            onChange={(e) => setParams({ filters: e.currentTarget.checked ? { deleted: [true] } : {} })}
          />
        </Group>
        <Button leftSection={<IconUserPlus size={16} />} onClick={() => setEditing("new")} data-testid="new-user">{t("users.new")}</Button>
      </Group>
      {users.isError ? <ErrorState error={users.error} onRetry={() => users.refetch()} /> : users.isPending ? <LoadingState /> : (
        <>
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover verticalSpacing="xs" data-testid="users-table">
              <Table.Thead>
                <Table.Tr>
                  <SortableTh column="last_name" params={params} onChange={(p) => setParams(() => p)}>{t("common.name")}</SortableTh>
                  <SortableTh column="email" params={params} onChange={(p) => setParams(() => p)}>{t("common.email")}</SortableTh>
                  <Table.Th>{t("common.phone")}</Table.Th>
                  <Table.Th>{t("users.roles")}</Table.Th>
                  <SortableTh column="last_login" params={params} onChange={(p) => setParams(() => p)}>{t("users.lastLogin")}</SortableTh>
                  <Table.Th>{t("common.actions")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.data.data.length === 0 && (
                  <Table.Tr><Table.Td colSpan={6}><Text c="dimmed" ta="center">{t("common.noResults")}</Text></Table.Td></Table.Tr>
                )}
                {users.data.data.map((u) => (
                  <Table.Tr key={u.id} data-testid={`user-row-${u.id}`}>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <Text size="sm">{fullName(u)}</Text>
                        {u.deleted && <Badge color="red" size="xs">{t("users.deleted")}</Badge>}
                        {!u.deleted && !u.active && <Badge color="gray" size="xs">{t("users.active")}: {t("common.no")}</Badge>}
                        {u.is_2fa_enabled && <Badge size="xs" variant="outline">{t("users.twoFactor")}</Badge>}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <a href={`mailto:${u.email}`}>{u.email}</a>
                      {u.email_verified === false && !u.pending_email && <Badge ml={6} color="yellow" size="xs">{t("users.unverified")}</Badge>}
                      {u.pending_email && <Text size="xs" c="dimmed">{t("users.pendingEmail", { email: u.pending_email })}</Text>}
                    </Table.Td>
                    <Table.Td>{u.phone_number}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>{u.roles.map((r) => <Badge key={r} variant="light" size="sm">{r}</Badge>)}</Group>
                    </Table.Td>
                    <Table.Td>{u.last_login ? formatDateTime(u.last_login) : t("users.never")}</Table.Td>
                    <Table.Td>
                      <Group gap={4} wrap="nowrap">
                        {u.deleted ? (
                          <Tooltip label={t("common.restore")}>
                            <ActionIcon variant="subtle" aria-label={`${t("common.restore")} ${u.email}`} onClick={() => restore(u)} loading={update.isPending && update.variables?.id === u.id}>
                              <IconRestore size={18} />
                            </ActionIcon>
                          </Tooltip>
                        ) : (
                          <>
                            <Tooltip label={t("common.edit")}>
                              <ActionIcon variant="subtle" aria-label={`${t("common.edit")} ${u.email}`} onClick={() => setEditing(u)}><IconEdit size={18} /></ActionIcon>
                            </Tooltip>
                            <Tooltip label={t("users.resetPassword")}>
                              <ActionIcon variant="subtle" aria-label={`${t("users.resetPassword")} ${u.email}`} onClick={() => setResetting(u)}><IconKey size={18} /></ActionIcon>
                            </Tooltip>
                            {u.login_count === 0 && (
                              <Tooltip label={t("users.sendWelcome")}>
                                <ActionIcon variant="subtle" aria-label={`${t("users.sendWelcome")} ${u.email}`} onClick={() => askSendWelcome(u)} loading={sendWelcome.isPending && sendWelcome.variables?.id === u.id}>
                                  <IconSend size={18} />
                                </ActionIcon>
                              </Tooltip>
                            )}
                            {(u.pending_email || u.email_verified === false) && (
                              <Tooltip label={t("users.resendVerification")}>
                                <ActionIcon variant="subtle" aria-label={`${t("users.resendVerification")} ${u.pending_email ?? u.email}`} onClick={() => resendVerification.mutate(u)} loading={resendVerification.isPending && resendVerification.variables?.id === u.id}>
                                  <IconMailForward size={18} />
                                </ActionIcon>
                              </Tooltip>
                            )}
                            {u.login_count > 0 && u.id !== me?.id && (
                              <Tooltip label={t("users.endSessions")}>
                                <ActionIcon variant="subtle" color="orange" aria-label={`${t("users.endSessions")} ${u.email}`} onClick={() => askEndSessions(u)}><IconLogout2 size={18} /></ActionIcon>
                              </Tooltip>
                            )}
                            {u.is_2fa_enabled && (
                              <Tooltip label={t("users.reset2fa")}>
                                <ActionIcon variant="subtle" color="orange" aria-label={`${t("users.reset2fa")} ${u.email}`} onClick={() => askResetTwoFactor(u)}><IconShieldOff size={18} /></ActionIcon>
                              </Tooltip>
                            )}
                            {u.id !== me?.id && (
                              <Tooltip label={t("common.delete")}>
                                <ActionIcon variant="subtle" color="red" aria-label={`${t("common.delete")} ${u.email}`} onClick={() => askDelete(u)}><IconTrash size={18} /></ActionIcon>
                              </Tooltip>
                            )}
                          </>
                        )}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <ListFooter pagination={users.data.pagination} params={params} onChange={setParams} />
        </>
      )}
      {editing && <UserFormModal user={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
      {resetting && <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />}
    </Stack>
  );
}

function UserFormModal({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const roles = useRoles();
  const [problem, setProblem] = useState<string | null>(null);
  const creating = user === null;
  const form = useForm({
    initialValues: {
      username: user?.username ?? "",
      email: user?.email ?? "",
      password: "",
      first_name: user?.first_name ?? "",
      middle_name: user?.middle_name ?? "",
      last_name: user?.last_name ?? "",
      phone_number: user?.phone_number ?? "",
      role: user?.roles ?? [],
      active: user?.active ?? true,
      force_password_change: true,
    },
    validate: {
      username: (v) => (creating && !v.trim() ? t("common.required") : null),
      email: (v) => (!v.trim() ? t("common.required") : /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? null : t("common.invalidEmail")),
      password: (v) => (!creating ? null : passwordProblems(v).length ? `must contain ${passwordProblems(v).join(", ")}` : null),
      first_name: (v) => (v.trim() ? null : t("common.required")),
      last_name: (v) => (v.trim() ? null : t("common.required")),
      role: (v) => (v.length ? null : t("common.required")),
    },
  });

  const save = useMutation({
    mutationFn: (values: typeof form.values) => {
      const common = {
        email: values.email.trim(), first_name: values.first_name.trim(), middle_name: values.middle_name.trim() || null,
        last_name: values.last_name.trim(), phone_number: values.phone_number.trim() || null, role: values.role.join(","),
      };
      return creating
        ? api.post<User>("/crm/auth/users", { ...common, username: values.username.trim(), password: values.password, force_password_change: values.force_password_change })
        : api.put<User>(`/crm/auth/users/${user.id}`, { ...common, active: values.active });
    },
    onSuccess: (saved) => {
      notifySuccess(t(creating ? "users.created_ok" : "users.updated_ok", { email: saved.email }));
      void queryClient.invalidateQueries({ queryKey: ["users"] });
      void queryClient.invalidateQueries({ queryKey: ["roles"] });
      onClose();
    },
    onError: (error) => setProblem(applyApiErrors(form, error, { roles: "role" })),
  });

  return (
    <Modal opened onClose={onClose} title={creating ? t("users.new") : t("users.editTitle")} size="lg">
      <form onSubmit={form.onSubmit((values) => { setProblem(null); save.mutate(values); })} noValidate>
        <Stack>
          {problem && <Alert color="red" role="alert">{problem}</Alert>}
          {creating && <TextInput label={t("users.username")} required {...form.getInputProps("username")} />}
          <Group grow wrap="wrap">
            <TextInput label={t("users.firstName")} required {...form.getInputProps("first_name")} />
            <TextInput label={t("users.middleName")} {...form.getInputProps("middle_name")} />
            <TextInput label={t("users.lastName")} required {...form.getInputProps("last_name")} />
          </Group>
          <TextInput label={t("common.email")} type="email" required {...form.getInputProps("email")} />
          <TextInput label={t("users.phone")} {...form.getInputProps("phone_number")} />
          {creating && <PasswordInput label={t("users.password")} required autoComplete="new-password" {...form.getInputProps("password")} />}
          <MultiSelect
            label={t("users.roles")}
            required
            data={(roles.data ?? []).map((r) => r.name)}
            disabled={roles.isPending}
            searchable
            {...form.getInputProps("role")}
          />
          {roles.isError && <Text c="red" size="sm">{roles.error.message}</Text>}
          {creating
            ? <Checkbox label={t("users.forceChange")} {...form.getInputProps("force_password_change", { type: "checkbox" })} />
            : <Switch label={t("users.active")} {...form.getInputProps("active", { type: "checkbox" })} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
            <Button type="submit" loading={save.isPending}>{creating ? t("common.create") : t("common.saveChanges")}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Spec 02 §7.8: confirm, generate a temporary password, show it once with a copy button. */
function ResetPasswordModal({ user, onClose }: { user: User; onClose: () => void }) {
  const { t } = useTranslation();
  const [password] = useState(() => generateTempPassword());
  const reset = useMutation({
    mutationFn: () => api.post(`/crm/auth/users/${user.id}/admin_reset_password`, { new_password: password, force_change: true }),
    onError: notifyError,
  });
  return (
    <Modal opened onClose={onClose} title={t("users.resetPassword")}>
      {reset.isSuccess ? (
        <Stack>
          <Text size="sm">{t("users.resetDone", { name: fullName(user) })}</Text>
          <Group>
            <TextInput readOnly value={password} aria-label={t("users.tempPassword")} ff="monospace" style={{ flex: 1 }} data-testid="temp-password" />
            <CopyButton value={password}>
              {({ copied, copy }) => <Button onClick={copy} color={copied ? "green" : undefined}>{copied ? t("users.copied") : t("users.copy")}</Button>}
            </CopyButton>
          </Group>
          <Group justify="flex-end"><Button onClick={onClose}>{t("common.close")}</Button></Group>
        </Stack>
      ) : (
        <Stack>
          <Text size="sm">{t("users.resetConfirm", { name: fullName(user), email: user.email })}</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t("common.cancel")}</Button>
            <Button color="red" loading={reset.isPending} onClick={() => reset.mutate()}>{t("users.resetPassword")}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function RolesTable() {
  const { t } = useTranslation();
  const roles = useRoles();
  if (roles.isError) return <ErrorState error={roles.error} onRetry={() => roles.refetch()} />;
  if (roles.isPending) return <LoadingState />;
  return (
    <Stack>
      <Text size="sm" c="dimmed">{t("users.rolesHelp")}</Text>
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("users.roleName")}</Table.Th>
              <Table.Th>{t("users.description")}</Table.Th>
              <Table.Th>{t("users.permissions")}</Table.Th>
              <Table.Th>{t("users.usersTab")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {roles.data.map((role) => (
              <Table.Tr key={role.id}>
                <Table.Td fw={600}>{role.name}</Table.Td>
                <Table.Td>{role.description}</Table.Td>
                <Table.Td>{role.permissions.length}</Table.Td>
                <Table.Td>{role.users.length}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}
