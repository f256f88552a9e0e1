/**
 * Languages the spec lists beyond English and Spanish. They start with the sign-in screen and the menu;
 * every missing key falls back to English until a translator completes the set.
 */
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
import type { Translation } from "./en";

export type PartialTranslation = DeepPartial<Translation>;

export const fr: PartialTranslation = {
  auth: { title: "Connexion", email: "Adresse e-mail", password: "Mot de passe", rememberMe: "Se souvenir de moi pendant 30 jours", signIn: "Se connecter", forgot: "Mot de passe oublié ?", invalid: "E-mail ou mot de passe invalide", logout: "Se déconnecter" },
  nav: { customers: "Clients", services: "Services", products: "Produits", inventory: "Inventaire", provisioning: "Provisionnement", users: "Utilisateurs et rôles", language: "Langue" },
};
export const it: PartialTranslation = {
  auth: { title: "Accedi", email: "Indirizzo e-mail", password: "Password", rememberMe: "Ricordami per 30 giorni", signIn: "Accedi", forgot: "Password dimenticata?", invalid: "E-mail o password non validi", logout: "Esci" },
  nav: { customers: "Clienti", services: "Servizi", products: "Prodotti", inventory: "Inventario", provisioning: "Provisioning", users: "Utenti e ruoli", language: "Lingua" },
};
export const gr: PartialTranslation = {
  auth: { title: "Σύνδεση", email: "Διεύθυνση email", password: "Κωδικός πρόσβασης", rememberMe: "Να με θυμάσαι για 30 ημέρες", signIn: "Σύνδεση", invalid: "Μη έγκυρο email ή κωδικός πρόσβασης", logout: "Αποσύνδεση" },
  nav: { customers: "Πελάτες", services: "Υπηρεσίες", products: "Προϊόντα", inventory: "Απόθεμα", users: "Χρήστες και ρόλοι", language: "Γλώσσα" },
};
export const ru: PartialTranslation = {
  auth: { title: "Вход", email: "Адрес электронной почты", password: "Пароль", rememberMe: "Запомнить меня на 30 дней", signIn: "Войти", forgot: "Забыли пароль?", invalid: "Неверный адрес электронной почты или пароль", logout: "Выйти" },
  nav: { customers: "Клиенты", services: "Услуги", products: "Продукты", inventory: "Склад", users: "Пользователи и роли", language: "Язык" },
};
export const ch: PartialTranslation = {
  auth: { title: "登录", email: "电子邮件地址", password: "密码", rememberMe: "30 天内记住我", signIn: "登录", forgot: "忘记密码？", invalid: "电子邮件或密码无效", logout: "退出登录" },
  nav: { customers: "客户", services: "服务", products: "产品", inventory: "库存", users: "用户和角色", language: "语言" },
};
export const ar: PartialTranslation = {
  auth: { title: "تسجيل الدخول", email: "البريد الإلكتروني", password: "كلمة المرور", rememberMe: "تذكرني لمدة 30 يومًا", signIn: "تسجيل الدخول", forgot: "هل نسيت كلمة المرور؟", invalid: "البريد الإلكتروني أو كلمة المرور غير صحيحة", logout: "تسجيل الخروج" },
  nav: { customers: "العملاء", services: "الخدمات", products: "المنتجات", inventory: "المخزون", users: "المستخدمون والأدوار", language: "اللغة" },
};
