export const CONNECT_PATH = "/connect";
export const AUTHORIZE_PATH = `${CONNECT_PATH}/authorize`;
export const TOKEN_PATH = `${CONNECT_PATH}/token`;
export const REGISTER_PATH = `${CONNECT_PATH}/register`;
export const AUTHORIZATION_SERVER_METADATA = `/.well-known/oauth-authorization-server${CONNECT_PATH}`;
