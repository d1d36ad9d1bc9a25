/**
 * The page tour (test/helpers/page-tour.ts) as the agent sees it, on the real switch: every page of
 * the navigation and a call's detail at 1280 and 375 px, and the navigation with the keyboard.
 */
import t from 'tap';
import { tourRole } from '../helpers/page-tour.js';

t.setTimeout(300_000); // about a dozen page loads at two widths, on the real switch

tourRole(t, 'agent');
