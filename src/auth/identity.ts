/**
 * Who a /internal grant belongs to: written at sign-in, re-checked at every refresh and on every
 * /internal request, and read by the member's session agent from `this.props`.
 */
export interface IdentityProps {
  sub: string;
  email: string;
  name: string;
  /** Google's hosted domain (the hd claim), kept so each refresh re-checks it. */
  hd?: string;
}
