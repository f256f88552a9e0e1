/** Self-care portal strings (i18next namespace "portal"), English: the reference every other language follows. */
const en = {
  nav: { dashboard: "Home", services: "Services", usage: "Usage", billing: "Billing", topup: "Top-up", account: "Account", logout: "Log out", menu: "Menu" },
  common: {
    loading: "Loading…", retry: "Try again", close: "Close", save: "Save changes", cancel: "Cancel", edit: "Edit",
    error: "Something went wrong", none: "None", yes: "Yes", no: "No", back: "Back", confirm: "Confirm", viewAll: "View all",
  },
  offline: "You are offline: showing the data loaded last. Changes are not possible until you reconnect.",
  impersonation: {
    banner: "You are logged in as {{name}} (support session by {{staff}})",
    return: "Return to console",
    ended: "Impersonation ended",
    start: "Log in as customer",
    reasonTitle: "Log in as {{name}}",
    reason: "Reason (kept in the audit log)",
    reasonHelp: "Why you need to see the portal as this customer, at least 3 characters",
    go: "Open the portal",
  },
  dashboard: {
    title: "Hello, {{name}}", services: "My services", balances: "Balances", unpaid: "Unpaid invoices",
    unpaidSummary: "{{count}} unpaid, {{total}} in total", allPaid: "All invoices are paid", alerts: "Alerts",
    noAlerts: "No alerts: everything looks good", noServices: "You have no services yet",
  },
  alerts: {
    lowBalance: "{{service}}: only {{percent}}% of your {{type}} left",
    serviceExpiry_one: "{{service}} expires in {{count}} day",
    serviceExpiry_other: "{{service}} expires in {{count}} days",
    unpaidInvoice: "Invoice #{{id}} for {{amount}} is unpaid",
    overdueInvoice: "Invoice #{{id}} for {{amount}} is overdue",
  },
  services: {
    title: "My services", product: "Product", status: "Status", created: "Activated", expiry: "Expires",
    monthlyCost: "Monthly cost", autoRenew: "Auto-renewal", enabled: "Enabled", disabled: "Disabled",
    cancel: "Cancel service", cancelTitle: "Cancel {{name}}?", cancelReason: "Why are you cancelling?", cancelHelp: "Renewals stop now; the service ends after the grace period unless you contact us.", cancelConfirm: "Cancel service", cancelled: "Cancellation requested",
    viewUsage: "View usage", topup: "Top-up / Add-ons", noExpiry: "No expiry",
    indicator: { active: "Active", expiringSoon: "Expiring soon", suspended: "Suspended", expired: "Expired", cancelled: "Cancelled", inactive: "Inactive" },
  },
  usage: {
    title: "Usage", choose: "Service", remaining: "{{remaining}} left", used: "Used {{used}} of {{allowance}}",
    unlimited: "Unlimited", expires: "Expires {{date}}", expired: "Expired", buckets: "Details", bucket: "Bucket",
    weight: "Priority {{weight}}", priorityHelp: "Buckets with the higher priority are used first.",
    total: "Total remaining", noBalances: "No balances on this service", hidden: "Usage is not available for this service",
    ocsDown: "Balances cannot be loaded right now", updated: "Updated {{time}}",
    history: "Usage over the last 30 days", historyEmpty: "No usage recorded in the last 30 days", remainingCol: "Remaining", chart: "Used vs remaining", types: { DATA: "Data", VOICE: "Voice", SMS: "SMS", MONETARY: "Credit" },
  },
  billing: {
    title: "Billing", invoices: "Invoices", transactions: "Transactions", number: "Invoice", date: "Date", due: "Due",
    amount: "Amount", status: "Status", download: "Download PDF", downloading: "Downloading…", noInvoices: "No invoices yet",
    noTransactions: "No transactions yet", description: "Description", billed: "Billed", unbilled: "Unbilled",
    statuses: { paid: "Paid", unpaid: "Unpaid", overdue: "Overdue", void: "Void" },
    payHelp: "To pay an invoice, contact us or use a card once card payments are enabled.",
  },
  topup: {
    title: "Top-up and add-ons", service: "Service", choose: "Choose an add-on", none: "No add-ons are available for this service",
    oneOff: "One-off cost", recurring: "Recurring cost", perMonth: "{{amount}} / month", review: "Review your order",
    confirm: "Buy now", validity: "Valid for {{count}} days", noRecurring: "None",
    provisioning: "Setting up your add-on…", done: "Done: your balance is updated", failed: "The add-on could not be set up. Please contact us.",
    newBalance: "Your balances now", another: "Buy another",
  },
  account: {
    title: "Account", details: "My details", customerId: "Customer number", since: "Customer since", type: "Account type",
    name: "Name", email: "E-mail", phone: "Phone", emailPending: "Waiting for verification: {{email}}",
    emailHelp: "We send a link to the new address; it changes once you follow the link.", saved: "Saved",
    password: "Password", currentPassword: "Current password", newPassword: "New password", changePassword: "Change password",
    passwordChanged: "Password changed", passwordImpersonating: "The password cannot be changed during a support session.",
    notifications: "Notifications", emailAlerts: "E-mail alerts", lowBalance: "Low balance alert below (%)",
    categoryBilling: "Billing (invoices, payments)", categoryUsage: "Usage (low balance)", categoryService: "Service (expiry)",
    sites: "Sites", contacts: "Contacts", noSites: "No sites", noContacts: "No contacts",
    security: "Security", twoFactor: "Two-factor authentication", twoFactorOn: "On", twoFactorOff: "Off", enable2fa: "Set up",
    activity: "Recent activity", noActivity: "No activity yet", sessions: "Signed-in devices", language: "Language", readOnly: "Contact us to change these details.",
  },
  apiKeys: { title: "API access", help: "Keys let your own scripts read your account (read-only) or also order add-ons (read-write).", name: "Key name", access: "Access", readOnly: "Read-only", readWrite: "Read-write", expiry: "Expires on", generate: "Generate API key", shownOnce: "Copy this key now: it is shown only once.", revoke: "Revoke", revoked: "Key revoked", none: "No API keys", impersonating: "API keys cannot be managed during a support session." },
  cards: {
    tab: "Payment methods", title: "Saved cards", none: "No saved cards", add: "Add card", holder: "Name on card",
    nickname: "Nickname (optional)", cardDetails: "Card details", save: "Save card", default: "Default", setDefault: "Set as default",
    delete: "Delete", confirmDelete: "Delete this card?", expires: "Expires {{expiry}}", expired: "Expired",
    notConfigured: "Card payments are not available yet.", secure: "Card details go straight to Stripe; we only keep the last 4 digits.",
    expiringAlert: "Your card {{card}} expires {{expiry}}: add a new card to keep paying automatically",
    payNow: "Pay now", payTitle: "Pay invoice #{{id}}", payWith: "Pay with", newCard: "A new card", pay: "Pay {{amount}}",
    paid: "Invoice #{{id}} is paid. Thank you!", chargedTo: "Charged to {{card}}", needCard: "Add a card to pay for add-ons.",
  },
  logins: {
    title: "Self-care portal logins", contact: "Contact", login: "Login", status: "Status", none: "No login",
    active: "Active", disabled: "Disabled", invited: "Invited", invite: "Invite to portal", invited_ok: "Invitation sent to {{email}}",
    disable: "Disable", enable: "Enable", disabledOk: "Login disabled", enabledOk: "Login enabled", lastLogin: "Last login",
  },
};

export default en;
/** The console's portal-login strings (`logins`) are complete in English and Spanish; other languages fall back. */
export type PortalStrings = Omit<typeof en, "logins"> & { logins?: typeof en.logins };
