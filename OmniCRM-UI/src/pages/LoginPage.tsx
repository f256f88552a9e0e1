import { Alert, Anchor, Button, Checkbox, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle } from "@tabler/icons-react";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { ApiError, errorMessage, type Session } from "../api";
import { TwoFactorRequired, useAuth } from "../auth/AuthContext";
import { AuthFrame } from "../components/AuthFrame";
import { TwoFactorChallenge } from "../components/TwoFactorChallenge";
import { config } from "../config";
import type { TwoFactorChallenge as Challenge } from "../lib/twoFactor";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Where a user lands after login (spec 02 §7.2): staff at /customers unless they came from a deep link. */
export function landingPath(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/dashboard";
}

export function LoginPage() {
  const { t } = useTranslation();
  const { session, login } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [search] = useSearchParams();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const form = useForm({
    initialValues: { email: "", password: "", remember: false },
    validate: {
      email: (v) => (!v.trim() ? t("common.required") : v.includes("@") && !EMAIL.test(v.trim()) ? t("common.invalidEmail") : null),
      password: (v) => (v ? null : t("common.required")),
    },
  });

  if (session) return <Navigate to={session.force_password_change ? "/change-password" : landingPath(search.get("next"))} replace />;

  const enter = (next: Session) => {
    navigate(next.force_password_change ? "/change-password" : landingPath(search.get("next")), { replace: true });
  };

  const submit = form.onSubmit(async ({ email, password, remember }) => {
    setBusy(true);
    setProblem(null);
    try {
      enter(await login(email.trim(), password, remember));
    } catch (error) {
      if (error instanceof TwoFactorRequired) {
        setChallenge(error.challenge);
        form.setFieldValue("password", "");
      }
      else if (error instanceof ApiError && error.status === 401) setProblem(t("auth.invalid"));
      else setProblem(errorMessage(error));
    } finally {
      setBusy(false);
    }
  });

  const expired = (location.state as { expired?: boolean } | null)?.expired;

  return (
    <AuthFrame>
      {challenge ? <TwoFactorChallenge challenge={challenge} onCancel={() => setChallenge(null)} onDone={enter} /> : (
      <form onSubmit={submit} noValidate>
        <Stack>
          <div>
            <Title order={3}>{t("auth.title")}</Title>
            <Text size="sm" c="dimmed">{t("auth.subtitle", { portal: config.portalName })}</Text>
          </div>
          {expired && !problem && <Alert color="yellow">{t("auth.sessionExpired")}</Alert>}
          {problem && <Alert color="red" icon={<IconAlertCircle />} role="alert" data-testid="login-error">{problem}</Alert>}
          <TextInput label={t("auth.email")} type="email" autoComplete="username" required {...form.getInputProps("email")} />
          <PasswordInput
            label={t("auth.password")}
            autoComplete="current-password"
            required
            visibilityToggleButtonProps={{ "aria-label": t("auth.showPassword") }}
            {...form.getInputProps("password")}
          />
          <Checkbox label={t("auth.rememberMe")} {...form.getInputProps("remember", { type: "checkbox" })} />
          <Button type="submit" loading={busy} fullWidth>{t("auth.signIn")}</Button>
          <Anchor component={Link} to="/forgot-password" size="sm" ta="center">{t("auth.forgot")}</Anchor>
        </Stack>
      </form>
      )}
    </AuthFrame>
  );
}
