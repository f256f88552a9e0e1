import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { applyApiErrors } from "./feedback";

describe("API field errors on forms", () => {
  it("puts nested errors next to their fields through prefix aliases and keeps unknown ones in the message", () => {
    const setErrors = vi.fn();
    const form = { setErrors, values: { customer_name: "", contact: { contact_email: "" }, site: { latitude: "" } } };
    const error = new ApiError(400, "Validation failed", {
      "contacts[0].contact_email": "must be a valid e-mail address",
      "sites[0].latitude": "is required",
      customer_name: "is required",
      tax_identifier: "too long",
    });
    const text = applyApiErrors(form, error, { "contacts[0].": "contact.", "sites[0].": "site." });
    expect(setErrors).toHaveBeenCalledWith({
      "contact.contact_email": "must be a valid e-mail address", "site.latitude": "is required", customer_name: "is required",
    });
    expect(text).toBe("Validation failed (tax_identifier: too long)");
  });
});
