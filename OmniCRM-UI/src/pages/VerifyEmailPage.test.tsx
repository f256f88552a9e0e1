import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import "../i18n";
import { VerifyEmailPage } from "./VerifyEmailPage";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

afterEach(() => vi.unstubAllGlobals());

function renderAt(path: string, fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  const router = createMemoryRouter([{ path: "/verify-email", element: <VerifyEmailPage /> }], { initialEntries: [path] });
  render(<MantineProvider><RouterProvider router={router} /></MantineProvider>);
}

describe("e-mail verification link", () => {
  it("posts the fragment's token and shows the result", async () => {
    const fetchImpl = vi.fn(async () => json(200, { message: "E-mail address vera@example.com verified" }));
    renderAt("/verify-email#token=abc123", fetchImpl as unknown as typeof fetch);
    expect((await screen.findByTestId("verify-result")).textContent).toContain("vera@example.com verified");
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/crm/auth/verify_email");
    expect(JSON.parse(String(init.body))).toEqual({ token: "abc123" });
  });

  it("explains an expired or used link", async () => {
    renderAt("/verify-email#token=old", vi.fn(async () => json(400, {
      message: "Validation failed", errors: { token: "is invalid or has expired" },
    })) as unknown as typeof fetch);
    expect((await screen.findByTestId("verify-result")).textContent).toContain("invalid or has expired");
  });
});
