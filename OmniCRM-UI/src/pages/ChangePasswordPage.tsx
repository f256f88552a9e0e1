import { Alert, Button, Center, Paper, PasswordInput, Stack, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate } from "react-router";
import { api, type Session } from "../api";
import { useAuth } from "../auth/AuthContext";
import { applyApiErrors, notifySuccess } from "../lib/feedback";

export const MIN_PASSWORD = 8;

/** Own password change; when the login said force_password_change the user cannot go anywhere else first. */
export function ChangePasswordPage() {
  const { t } = useTranslation();
  const { session, replaceSession, logout } = useAuth();
  const navigate = useNavigate();
  const forced = Boolean(session?.force_password_change);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { current_password: "", new_password: "", confirm: "" },
    validate: {
      current_password: (v) => (v ? null : t("common.required")),
      new_password: (v) => (v.length < MIN_PASSWORD ? t("auth.tooShort", { count: MIN_PASSWORD }) : null),
      confirm: (v, values) => (v !== values.new_password ? t("auth.mismatch") : null),
    },
  });

  const submit = form.onSubmit(async ({ current_password, new_password }) => {
    setBusy(true);
    setProblem(null);
    try {
      const answer = await api.post<Omit<Session, "remember">>("/crm/auth/change_password", { current_password, new_password, refresh_in_cookie: true });
      replaceSession(answer);
      notifySuccess(t("auth.passwordChanged"));
      navigate("/customers", { replace: true });
    } catch (error) {
      setProblem(applyApiErrors(form, error));
    } finally {
      setBusy(false);
    }
  });

  const body = (
    <Paper withBorder p="lg" maw={440} w="100%">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Title order={3}>{t("auth.changePassword")}</Title>
          {forced && <Alert color="yellow" data-testid="forced-change">{t("auth.mustChange")}</Alert>}
          {problem && <Alert color="red" role="alert">{problem}</Alert>}
          <PasswordInput label={t("auth.currentPassword")} autoComplete="current-password" {...form.getInputProps("current_password")} />
          <PasswordInput label={t("auth.newPassword")} autoComplete="new-password" {...form.getInputProps("new_password")} />
          <PasswordInput label={t("auth.confirmPassword")} autoComplete="new-password" {...form.getInputProps("confirm")} />
          <Button type="submit" loading={busy}>{t("auth.changePassword")}</Button>
          {forced && <Button variant="subtle" color="gray" onClick={() => logout().then(() => navigate("/login"))}>{t("auth.logout")}</Button>}
        </Stack>
      </form>
    </Paper>
  );
  return forced ? <Center mih="100vh" p="md">{body}</Center> : body;
}
