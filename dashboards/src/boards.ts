/**
 * Every generated dashboard with the file it is committed as, for the generator and
 * for the tests that compare the committed JSON with the generator output.
 */
import { DELIVERY_DASHBOARD_UID, renderDeliveryJson } from './delivery.js';
import { EXPERIMENTS_DASHBOARD_UID, renderExperimentsJson } from './experiments.js';
import { HEALTH_DASHBOARD_UID, renderHealthJson } from './health.js';
import { MODELS_DASHBOARD_UID, renderModelsJson } from './models.js';
import { OVERVIEW_DASHBOARD_UID, renderOverviewJson } from './overview.js';
import { SCAFFOLDING_DASHBOARD_UID, renderScaffoldingJson } from './scaffolding.js';

export interface Board {
  uid: string;
  /** Path of the committed JSON, relative to the repository root. */
  file: string;
  render: () => string;
}

export const BOARDS: Board[] = [
  { uid: OVERVIEW_DASHBOARD_UID, file: 'dashboards/factory-overview.json', render: renderOverviewJson },
  { uid: DELIVERY_DASHBOARD_UID, file: 'dashboards/factory-delivery.json', render: renderDeliveryJson },
  { uid: SCAFFOLDING_DASHBOARD_UID, file: 'dashboards/factory-scaffolding.json', render: renderScaffoldingJson },
  { uid: MODELS_DASHBOARD_UID, file: 'dashboards/factory-models.json', render: renderModelsJson },
  { uid: EXPERIMENTS_DASHBOARD_UID, file: 'dashboards/factory-experiments.json', render: renderExperimentsJson },
  { uid: HEALTH_DASHBOARD_UID, file: 'dashboards/factory-telemetry-health.json', render: renderHealthJson },
];
