import { Alert, Anchor, Button, Center, List, PasswordInput, Stack, Text, TextInput, ThemeIcon, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle, IconLock } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, ApiError, errorMessage } from "../api";
import { AuthFrame } from "../components/AuthFrame";
import { missingPasswordRules } from "../lib/password";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Time to read the success message before the login page opens. */
export const REDIRECT_AFTER_RESET_MS = 3000;

/** Step 1 of spec 02 §7.6: ask for a reset link. The API answers the same whether or not the address exists. */
export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const [sent, setSent] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { email: "" },
    validate: { email: (v) => (!v.trim() ? t("common.required") : !EMAIL.test(v.trim()) ? t("common.invalidEmail") : null) },
  });

  const submit = form.onSubmit(async ({ email }) => {
    setBusy(true);
    setProblem(null);
    try {
      const answer = await api.request<{ message: string }>("/crm/auth/forgot_password", {
        method: "POST", body: { email: email.trim() }, skipAuth: true,
      });
      setSent(answer.message);
    } catch (error) {
      if (error instanceof ApiError && error.errors.email) form.setFieldError("email", error.errors.email);
      else setProblem(errorMessage(error));
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthFrame>
      <Stack>
        <div>
          <Title order={3}>{t("reset.forgotTitle")}</Title>
          <Text size="sm" c="dimmed">{t("reset.forgotHelp")}</Text>
        </div>
        {sent ? (
          <Alert color="green" data-testid="forgot-sent">
            <Text size="sm">{sent}</Text>
            <Text size="xs" mt="xs">{t("reset.checkSpam")}</Text>
          </Alert>
        ) : (
          <form onSubmit={submit} noValidate>
            <Stack>
              {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert">{problem}</Alert>}
              <TextInput label={t("auth.email")} type="email" autoComplete="username" required {...form.getInputProps("email")} />
              <Button type="submit" loading={busy} fullWidth>{t("reset.send")}</Button>
            </Stack>
          </form>
        )}
        <Anchor component={Link} to="/login" size="sm" ta="center">{t("reset.backToLogin")}</Anchor>
      </Stack>
    </AuthFrame>
  );
}

/**
 * The token of an e-mailed link: `/reset-password#token=...` (the fragment never reaches a server, so no access log
 * holds it); links sent before that change carried it in the path, `/reset-password/:token`.
 */
export function linkToken(hash: string, pathToken: string | undefined): string {
  return new URLSearchParams(hash.replace(/^#/, "")).get("token") ?? pathToken ?? "";
}

/** Step 3 of spec 02 §7.6: the e-mailed reset or welcome link sets a new password meeting the API's policy. */
export function ResetPasswordPage() {
  const { t } = useTranslation();
  const { token: pathToken } = useParams();
  const location = useLocation();
  const [token] = useState(() => linkToken(location.hash, pathToken));
  const navigate = useNavigate();
  const [state, setState] = useState<"form" | "done" | "invalid">("form");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { password: "", confirm: "" },
    validate: {
      password: (v) => {
        const missing = missingPasswordRules(v);
        return missing.length ? t("reset.policy", { rules: missing.map((rule) => t(`reset.rules.${rule}`)).join(", ") }) : null;
      },
      confirm: (v, values) => (v !== values.password ? t("auth.mismatch") : null),
    },
  });

  useEffect(() => {
    if (state !== "done") return undefined;
    const timer = setTimeout(() => navigate("/login", { replace: true }), REDIRECT_AFTER_RESET_MS);
    return () => clearTimeout(timer);
  }, [state, navigate]);

  const submit = form.onSubmit(async ({ password }) => {
    setBusy(true);
    setProblem(null);
    try {
      await api.request("/crm/auth/reset_password", { method: "POST", body: { token, new_password: password }, skipAuth: true });
      setState("done");
    } catch (error) {
      if (error instanceof ApiError && error.errors.token) setState("invalid");
      else if (error instanceof ApiError && error.errors.new_password) form.setFieldError("password", error.errors.new_password);
      else setProblem(errorMessage(error));
    } finally {
      setBusy(false);
    }
  });

  return (
    <AuthFrame>
      <Stack>
        <Center><ThemeIcon size={48} radius="xl" variant="light"><IconLock /></ThemeIcon></Center>
        <Title order={3} ta="center">{t("reset.title")}</Title>
        {state === "done" && <Alert color="green" data-testid="reset-done">{t("reset.done")}</Alert>}
        {state === "invalid" && (
          <Stack data-testid="reset-invalid">
            <Alert color="red" icon={<IconAlertCircle />} role="alert">{t("reset.invalidToken")}</Alert>
            <Button component={Link} to="/forgot-password">{t("reset.requestNew")}</Button>
          </Stack>
        )}
        {state === "form" && (
          <form onSubmit={submit} noValidate>
            <Stack>
              {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert">{problem}</Alert>}
              <Text size="sm" c="dimmed">{t("reset.policyHelp")}</Text>
              <List size="xs" c="dimmed">
                {(["length", "upper", "lower", "digit", "special"] as const).map((rule) => <List.Item key={rule}>{t(`reset.rules.${rule}`)}</List.Item>)}
              </List>
              <PasswordInput label={t("auth.password")} autoComplete="new-password" required {...form.getInputProps("password")} />
              <PasswordInput label={t("reset.confirm")} autoComplete="new-password" required {...form.getInputProps("confirm")} />
              <Button type="submit" loading={busy} fullWidth>{t("reset.submit")}</Button>
            </Stack>
          </form>
        )}
        <Anchor component={Link} to="/login" size="sm" ta="center">{t("reset.backToLogin")}</Anchor>
      </Stack>
    </AuthFrame>
  );
}
