"""Message identifiers of 3GPP TS 23.041 §9.4.1.2.2 (decision in docs/decisions.md, "Cell Broadcast"), not the
user guide's table: ETWS 4352-4359 (0x1100-0x1107), CMAS/WEA/EU-Alert 4370-4399 (0x1112-0x112F), and the
templates the console starts from, each carrying its identifier, category and severity."""

ETWS = {4352: "ETWS earthquake warning", 4353: "ETWS tsunami warning", 4354: "ETWS earthquake and tsunami warning",
        4355: "ETWS test message", 4356: "ETWS other emergency", 4357: "ETWS future extension",
        4358: "ETWS future extension", 4359: "ETWS future extension"}
CMAS = {4370: "Presidential alert",
        4371: "Extreme alert (extreme, immediate, observed)", 4372: "Extreme alert (extreme, immediate, likely)",
        4373: "Severe alert (extreme, expected, observed)", 4374: "Severe alert (extreme, expected, likely)",
        4375: "Severe alert (severe, immediate, observed)", 4376: "Severe alert (severe, immediate, likely)",
        4377: "Severe alert (severe, expected, observed)", 4378: "Severe alert (severe, expected, likely)",
        4379: "AMBER child abduction emergency", 4380: "Required monthly test", 4381: "Exercise",
        4382: "Operator defined use"}
# 4383-4395: the same thirteen CMAS messages in an additional language (identifier + 13).
CMAS_LANGUAGE = {mi + 13: f"{name} (additional language)" for mi, name in CMAS.items()}
EU_ALERT = {4396: "Public safety alert", 4397: "Public safety alert (additional language)",
            4398: "State/local test", 4399: "State/local test (additional language)"}
IDENTIFIERS = {**ETWS, **CMAS, **CMAS_LANGUAGE, **EU_ALERT}
TEST_IDENTIFIERS = frozenset({4355, 4380, 4381, 4393, 4394, 4398, 4399})  # received without alerting users
CATEGORIES = ("normal", "emergency", "high", "extreme")
SEVERITIES = ("presidential", "extreme", "severe", "amber", "public_safety", "test", "info")


def severity_of(identifier):
    mi = int(identifier)
    base = mi - 13 if 4383 <= mi <= 4395 else mi
    if base in TEST_IDENTIFIERS or mi in TEST_IDENTIFIERS:
        return "test"
    if base == 4370:
        return "presidential"
    if base in (4371, 4372) or base in (4352, 4353, 4354):
        return "extreme"
    if 4373 <= base <= 4378 or base == 4356:
        return "severe"
    if base == 4379:
        return "amber"
    if base in (4396, 4397):
        return "public_safety"
    return "info"


def describe(identifier):
    mi = int(identifier)
    return {"messageIdentifier": str(mi), "hex": f"0x{mi:04X}", "name": IDENTIFIERS.get(mi, "Operator/custom"),
            "system": "ETWS" if mi in ETWS else "CMAS" if mi in IDENTIFIERS else "other",
            "severity": severity_of(mi), "is_test": mi in TEST_IDENTIFIERS}


def _template(key, name, mi, category, en, es, warning=3600, repetition=10, broadcasts=999):
    return {"key": key, "name": name, "messageIdentifier": str(mi), "category": category,
            "severity": severity_of(mi), "repetitionPeriod": repetition, "numberOfBroadcasts": broadcasts,
            "warningPeriodSec": warning, "channelIndicator": "basic",
            "localized_messages": [{"language": "en", "messageBody": en}, {"language": "es", "messageBody": es}]}


TEMPLATES = [
    _template("earthquake", "Earthquake", 4352, "extreme",
              "EARTHQUAKE WARNING: Strong shaking expected. Drop, cover and hold on. Stay away from windows.",
              "ALERTA DE TERREMOTO: Se esperan fuertes sacudidas. Agáchese, cúbrase y sujétese."),
    _template("tsunami", "Tsunami", 4353, "extreme",
              "TSUNAMI WARNING: Move immediately to high ground or inland. Do not return until officials say so.",
              "ALERTA DE TSUNAMI: Diríjase de inmediato a zonas altas o al interior. No regrese hasta nuevo aviso."),
    _template("earthquake_tsunami", "Earthquake and tsunami", 4354, "extreme",
              "EARTHQUAKE AND TSUNAMI WARNING: Drop, cover, hold on. When shaking stops move to high ground now.",
              "ALERTA DE TERREMOTO Y TSUNAMI: Protéjase. Cuando cese el temblor vaya a zonas altas."),
    _template("presidential", "Presidential alert", 4370, "extreme",
              "PRESIDENTIAL ALERT: ", "ALERTA PRESIDENCIAL: "),
    _template("flood", "Flood", 4375, "high",
              "FLOOD WARNING: Flooding is occurring in your area. Move to higher ground. Avoid flooded roads.",
              "ALERTA DE INUNDACIÓN: Hay inundaciones en su zona. Suba a terrenos altos. Evite calles inundadas."),
    _template("fire", "Wildfire", 4371, "extreme",
              "WILDFIRE WARNING: Evacuate now following official routes. Do not delay.",
              "ALERTA DE INCENDIO: Evacúe ahora por las rutas oficiales. No se demore."),
    _template("amber", "AMBER alert", 4379, "high",
              "AMBER ALERT: Child abduction. Call the police with any information: ",
              "ALERTA AMBER: Secuestro de menor. Llame a la policía con cualquier información: ", warning=7200),
    _template("monthly_test", "Required monthly test", 4380, "normal",
              "This is a monthly test of the public warning system. No action is required.",
              "Esta es una prueba mensual del sistema de alerta pública. No se requiere ninguna acción.",
              warning=600, broadcasts=3),
    _template("exercise", "Exercise", 4381, "normal",
              "EXERCISE: This is an emergency exercise message. No action is required.",
              "SIMULACRO: Este es un mensaje de simulacro. No se requiere ninguna acción.",
              warning=600, broadcasts=3),
]
