import { Alert, Anchor, Loader, Stack, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useLocation } from "react-router";
import { api, ApiError, errorMessage } from "../api";
import { AuthFrame } from "../components/AuthFrame";
import { linkToken } from "./PasswordResetPages";

/** The e-mailed verification link /verify-email#token=... (spec 07 §5.4.2): confirms the address once. */
export function VerifyEmailPage() {
  const { t } = useTranslation();
  const location = useLocation();
  const [token] = useState(() => linkToken(location.hash, undefined));
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    let stale = false;
    api.request<{ message: string }>("/crm/auth/verify_email", { method: "POST", body: { token }, skipAuth: true })
      .then((answer) => !stale && setResult({ ok: true, text: answer.message }))
      .catch((error) => !stale && setResult({
        ok: false,
        text: error instanceof ApiError && error.errors.token ? t("verifyEmail.invalid") : errorMessage(error),
      }));
    return () => {
      stale = true;
    };
  }, [token, t]);

  return (
    <AuthFrame>
      <Stack>
        <Title order={3} ta="center">{t("verifyEmail.title")}</Title>
        {!result && <Stack align="center"><Loader /><span>{t("verifyEmail.working")}</span></Stack>}
        {result && <Alert color={result.ok ? "green" : "red"} data-testid="verify-result">{result.text}</Alert>}
        <Anchor component={Link} to="/login" size="sm" ta="center">{t("verifyEmail.toLogin")}</Anchor>
      </Stack>
    </AuthFrame>
  );
}
