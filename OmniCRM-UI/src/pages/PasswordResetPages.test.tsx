import { MantineProvider } from "@mantine/core";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import "../i18n";
import { ForgotPasswordPage, ResetPasswordPage } from "./PasswordResetPages";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

function renderAt(path: string, fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  const router = createMemoryRouter([
    { path: "/login", element: <p>login page</p> },
    { path: "/forgot-password", element: <ForgotPasswordPage /> },
    { path: "/reset-password", element: <ResetPasswordPage /> },
    { path: "/reset-password/:token", element: <ResetPasswordPage /> },
  ], { initialEntries: [path] });
  render(<MantineProvider><RouterProvider router={router} /></MantineProvider>);
  return router;
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("forgot password", () => {
  it("shows the API's answer, whatever the address", async () => {
    const fetchImpl = vi.fn(async () => json(200, { message: "If an account exists for that e-mail address, reset instructions have been sent to it" }));
    renderAt("/forgot-password", fetchImpl as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "nobody@example.com");
    await userEvent.click(screen.getByRole("button", { name: "Send Reset Link" }));
    expect((await screen.findByTestId("forgot-sent")).textContent).toContain("If an account exists");
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/crm/auth/forgot_password");
    expect(JSON.parse(String(init.body))).toEqual({ email: "nobody@example.com" });
  });
});

describe("reset password", () => {
  const fill = async (password: string, confirm = password) => {
    await userEvent.type(screen.getByLabelText(/^Password/), password);
    await userEvent.type(screen.getByLabelText(/^Confirm Password/), confirm);
    await userEvent.click(screen.getByRole("button", { name: "Reset Password" }));
  };

  it("checks the policy and the confirmation before sending", async () => {
    const fetchImpl = vi.fn();
    renderAt("/reset-password/tok123", fetchImpl as unknown as typeof fetch);
    await fill("abcdefgh", "abcdefgx");
    expect(await screen.findByText(/needs an upper-case letter, a digit, a special character/)).toBeTruthy();
    expect(screen.getByText("The passwords do not match")).toBeTruthy();
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("reads the token from the link's fragment (never sent to the server)", async () => {
    const fetchImpl = vi.fn(async () => json(200, { message: "The password has been reset successfully" }));
    renderAt("/reset-password#token=frag-456", fetchImpl as unknown as typeof fetch);
    await fill("Newpass1!");
    await screen.findByTestId("reset-done");
    const [, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ token: "frag-456", new_password: "Newpass1!" });
  });

  it("sends token and new password, says so, then opens the login", async () => {
    const fetchImpl = vi.fn(async () => json(200, { message: "The password has been reset successfully" }));
    const router = renderAt("/reset-password/tok123", fetchImpl as unknown as typeof fetch);
    await fill("Newpass1!");
    expect((await screen.findByTestId("reset-done")).textContent).toContain("The password has been reset successfully");
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/crm/auth/reset_password");
    expect(JSON.parse(String(init.body))).toEqual({ token: "tok123", new_password: "Newpass1!" });
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"), { timeout: 5000 });
  });

  it("offers a new link when the token is invalid or expired", async () => {
    renderAt("/reset-password/old", vi.fn(async () => json(400, {
      message: "Validation failed", errors: { token: "is invalid or has expired; request a new reset link" },
    })) as unknown as typeof fetch);
    await fill("Newpass1!");
    await userEvent.click(await screen.findByRole("link", { name: "Request New Reset Link" }));
    expect(await screen.findByRole("button", { name: "Send Reset Link" })).toBeTruthy();
  });
});
