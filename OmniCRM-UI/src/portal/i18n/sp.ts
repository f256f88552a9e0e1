import type { PortalStrings } from "./en";

/** Portal del cliente, español. */
const sp: PortalStrings = {
  nav: { dashboard: "Inicio", services: "Servicios", usage: "Consumo", billing: "Facturación", topup: "Recarga", account: "Cuenta", logout: "Cerrar sesión", menu: "Menú" },
  common: {
    loading: "Cargando…", retry: "Reintentar", close: "Cerrar", save: "Guardar cambios", cancel: "Cancelar", edit: "Editar",
    error: "Algo salió mal", none: "Ninguno", yes: "Sí", no: "No", back: "Volver", confirm: "Confirmar", viewAll: "Ver todo",
  },
  offline: "Sin conexión: se muestran los últimos datos cargados. No se pueden hacer cambios hasta reconectar.",
  impersonation: {
    banner: "Actualmente has iniciado sesión como {{name}} (sesión de soporte de {{staff}})",
    return: "Volver a la consola",
    ended: "Suplantación finalizada",
    start: "Iniciar sesión como cliente",
    reasonTitle: "Iniciar sesión como {{name}}",
    reason: "Motivo (queda en el registro de auditoría)",
    reasonHelp: "Por qué necesitas ver el portal como este cliente, al menos 3 caracteres",
    go: "Abrir el portal",
  },
  dashboard: {
    title: "Hola, {{name}}", services: "Mis servicios", balances: "Saldos", unpaid: "Facturas pendientes",
    unpaidSummary: "{{count}} pendientes, {{total}} en total", allPaid: "Todas las facturas están pagadas", alerts: "Alertas",
    noAlerts: "Sin alertas: todo en orden", noServices: "Todavía no tienes servicios",
  },
  alerts: {
    lowBalance: "{{service}}: solo queda el {{percent}}% de tu saldo de {{type}}",
    serviceExpiry_one: "{{service}} caduca en {{count}} día",
    serviceExpiry_other: "{{service}} caduca en {{count}} días",
    unpaidInvoice: "La factura n.º {{id}} de {{amount}} está pendiente",
    overdueInvoice: "La factura n.º {{id}} de {{amount}} está vencida",
  },
  services: {
    title: "Mis servicios", product: "Producto", status: "Estado", created: "Activado", expiry: "Caduca",
    monthlyCost: "Coste mensual", autoRenew: "Renovación automática", enabled: "Activada", disabled: "Desactivada",
    cancel: "Cancelar servicio", cancelTitle: "¿Cancelar {{name}}?", cancelReason: "¿Por qué lo cancelas?", cancelHelp: "Las renovaciones se detienen ya; el servicio termina tras el periodo de gracia salvo que nos contactes.", cancelConfirm: "Cancelar servicio", cancelled: "Cancelación solicitada",
    viewUsage: "Ver consumo", topup: "Recarga / Complementos", noExpiry: "Sin caducidad",
    indicator: { active: "Activo", expiringSoon: "Caduca pronto", suspended: "Suspendido", expired: "Caducado", cancelled: "Cancelado", inactive: "Inactivo" },
  },
  usage: {
    title: "Consumo", choose: "Servicio", remaining: "Quedan {{remaining}}", used: "Usado {{used}} de {{allowance}}",
    unlimited: "Ilimitado", expires: "Caduca el {{date}}", expired: "Caducado", buckets: "Detalles", bucket: "Bolsa",
    weight: "Prioridad {{weight}}", priorityHelp: "Las bolsas con mayor prioridad se consumen primero.",
    total: "Total restante", noBalances: "Este servicio no tiene saldos", hidden: "El consumo no está disponible para este servicio",
    ocsDown: "No se pueden cargar los saldos en este momento", updated: "Actualizado {{time}}",
    history: "Consumo de los últimos 30 días", historyEmpty: "Sin consumo en los últimos 30 días", remainingCol: "Restante", chart: "Usado frente a restante", types: { DATA: "Datos", VOICE: "Voz", SMS: "SMS", MONETARY: "Crédito" },
  },
  billing: {
    title: "Facturación", invoices: "Facturas", transactions: "Transacciones", number: "Factura", date: "Fecha", due: "Vence",
    amount: "Importe", status: "Estado", download: "Descargar PDF", downloading: "Descargando…", noInvoices: "Todavía no hay facturas",
    noTransactions: "Todavía no hay transacciones", description: "Descripción", billed: "Facturada", unbilled: "Sin facturar",
    statuses: { paid: "Pagada", unpaid: "Pendiente", overdue: "Vencida", void: "Anulada" },
    payHelp: "Para pagar una factura, contáctanos o usa una tarjeta cuando los pagos con tarjeta estén disponibles.",
  },
  topup: {
    title: "Recargas y complementos", service: "Servicio", choose: "Elige un complemento", none: "No hay complementos para este servicio",
    oneOff: "Pago único", recurring: "Pago recurrente", perMonth: "{{amount}} / mes", review: "Revisa tu pedido",
    confirm: "Comprar ahora", validity: "Válido durante {{count}} días", noRecurring: "Ninguno",
    provisioning: "Activando tu complemento…", done: "Listo: tu saldo está actualizado", failed: "No se pudo activar el complemento. Contáctanos.",
    newBalance: "Tus saldos ahora", another: "Comprar otro",
  },
  account: {
    title: "Cuenta", details: "Mis datos", customerId: "Número de cliente", since: "Cliente desde", type: "Tipo de cuenta",
    name: "Nombre", email: "Correo electrónico", phone: "Teléfono", emailPending: "Pendiente de verificación: {{email}}",
    emailHelp: "Enviamos un enlace a la nueva dirección; cambia cuando sigas el enlace.", saved: "Guardado",
    password: "Contraseña", currentPassword: "Contraseña actual", newPassword: "Nueva contraseña", changePassword: "Cambiar contraseña",
    passwordChanged: "Contraseña cambiada", passwordImpersonating: "La contraseña no se puede cambiar durante una sesión de soporte.",
    notifications: "Notificaciones", emailAlerts: "Alertas por correo", lowBalance: "Alerta de saldo bajo por debajo de (%)",
    categoryBilling: "Facturación (facturas, pagos)", categoryUsage: "Consumo (saldo bajo)", categoryService: "Servicio (caducidad)",
    sites: "Sedes", contacts: "Contactos", noSites: "Sin sedes", noContacts: "Sin contactos",
    security: "Seguridad", twoFactor: "Autenticación de dos factores", twoFactorOn: "Activada", twoFactorOff: "Desactivada", enable2fa: "Configurar",
    activity: "Actividad reciente", noActivity: "Todavía no hay actividad", sessions: "Dispositivos conectados", language: "Idioma", readOnly: "Contáctanos para cambiar estos datos.",
  },
  apiKeys: { title: "Acceso API", help: "Las claves permiten a tus scripts leer tu cuenta (solo lectura) o también pedir complementos (lectura y escritura).", name: "Nombre de la clave", access: "Acceso", readOnly: "Solo lectura", readWrite: "Lectura y escritura", expiry: "Caduca el", generate: "Generar clave API", shownOnce: "Copia esta clave ahora: solo se muestra una vez.", revoke: "Revocar", revoked: "Clave revocada", none: "Sin claves API", impersonating: "Las claves API no se pueden gestionar durante una sesión de soporte." },
  cards: {
    tab: "Métodos de pago", title: "Tarjetas guardadas", none: "No hay tarjetas guardadas", add: "Añadir tarjeta", holder: "Nombre en la tarjeta",
    nickname: "Alias (opcional)", cardDetails: "Datos de la tarjeta", save: "Guardar tarjeta", default: "Predeterminada", setDefault: "Usar como predeterminada",
    delete: "Eliminar", confirmDelete: "¿Eliminar esta tarjeta?", expires: "Caduca {{expiry}}", expired: "Caducada",
    notConfigured: "Los pagos con tarjeta aún no están disponibles.", secure: "Los datos de la tarjeta van directamente a Stripe; solo guardamos los 4 últimos dígitos.",
    expiringAlert: "Tu tarjeta {{card}} caduca el {{expiry}}: añade una nueva para seguir pagando automáticamente",
    payNow: "Pagar ahora", payTitle: "Pagar la factura n.º {{id}}", payWith: "Pagar con", newCard: "Una tarjeta nueva", pay: "Pagar {{amount}}",
    paid: "La factura n.º {{id}} está pagada. ¡Gracias!", chargedTo: "Se cargará a {{card}}", needCard: "Añade una tarjeta para pagar complementos.",
  },
  logins: {
    title: "Accesos al portal de autoservicio", contact: "Contacto", login: "Acceso", status: "Estado", none: "Sin acceso",
    active: "Activo", disabled: "Desactivado", invited: "Invitado", invite: "Invitar al portal", invited_ok: "Invitación enviada a {{email}}",
    disable: "Desactivar", enable: "Activar", disabledOk: "Acceso desactivado", enabledOk: "Acceso activado", lastLogin: "Último acceso",
  },
};

export default sp;
