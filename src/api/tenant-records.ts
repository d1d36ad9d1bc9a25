/**
 * What every tenant resource route does the same way. The audited delete is the domain's
 * (src/domain/audited-delete.ts); it is named here for the routes that still import it from here.
 */
export { deleteAudited } from '../domain/audited-delete.js';
