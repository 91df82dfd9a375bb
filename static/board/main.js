// The live board page, composed: read the page config, create the pieces
// (store, canvas, follow, writes, keyboard, link, features), wire them, start.
// Each piece lives in its room: core/ (pure state), net/ (the server),
// canvas/ (Konva), panels/ (the features around the canvas), ui/ (the page).

import { parseFilters } from './core/filters.js';
import { createStore } from './core/store.js';
import { createApi } from './net/api.js';
import { createFollow } from './net/follow.js';
import { createFigures } from './net/figures.js';
import { createWrites } from './net/writes.js';
import { createLink } from './net/link.js';
import { createTimeTravel } from './net/timetravel.js';
import { createBoardCanvas } from './canvas/board.js';
import { createToolbar } from './ui/toolbar.js';
import { createToaster } from './ui/toast.js';
import { createCloseDialog, createConfirm } from './ui/dialog.js';
import { createAnnouncer } from './ui/a11y.js';
import { createKeyboard } from './ui/keyboard.js';
import { createAddress } from './ui/address.js';
import { createFeatures, featureBoard } from './ui/features.js';
import { installTestHook } from './ui/hook.js';
import { startBoard } from './ui/startup.js';
import { createMembership } from './ui/membership.js';
import { createBell } from './ui/bell.js';
import { fillLegend } from './ui/legend.js';
import { createCardSort } from './panels/cardsort.js';
import { reorderable } from './core/cardsort.js';
import { createPanel } from './panels/panel.js';
import { createTimebar } from './panels/timebar.js';
import { createExport } from './panels/export.js';
import { createMeeting } from './panels/meeting.js';
import { createHandoff } from './panels/handoff.js';
import { createQuality } from './panels/quality.js';
import { createLostReasons } from './panels/lost.js';
import { createImporter } from './panels/importer.js';
import { createCampaigns } from './panels/campaigns.js';
import { createCampaignList } from './panels/campaignlist.js';
import { createCosts } from './panels/costs.js';
import { createStages, maySetUpNow } from './panels/stages.js';
import { createEmptyState } from './panels/empty.js';
import { createBoardInfo } from './ui/boardinfo.js';
import { createDrawer } from './panels/drawer.js';
import { createBulk } from './panels/bulk.js';
import { createHold } from './ui/hold.js';
import { createModePill } from './ui/mode.js';
import { createMenu } from './ui/menu.js';

const page = (id) => document.getElementById(id);

function composeBoard(config) {
  const { me } = config;
  const boardId = config.board.id;
  // The server's answer (leads.rules.may_edit), read each time: a member event changes it.
  const canEdit = () => me.may_edit === true;
  const archived = () => !!(store.state && store.state.board && store.state.board.archived);
  const share = config.meeting ? config.meeting.share : null; // a share link's view reads with its token
  const api = createApi(boardId, { share });
  const toast = createToaster(page('toasts'));
  const confirm = createConfirm(page('confirm'));
  const closeDeal = createCloseDialog(page('close-deal'));
  const announce = createAnnouncer(page('announcer'));
  const store = createStore(parseFilters(location.search));
  const features = createFeatures();
  const { notify } = features;

  const boardEl = page('board');
  const { view, render } = createBoardCanvas({
    store,
    boardId,
    mayDrag: () => canEdit() && store.asOf == null && !archived(), // no drags in the past, nor on an archived board
    maySetUp: () => maySetUpNow(me, config, store.asOf) && !archived(),
    canvasEl: page('board-canvas'),
    tooltipEl: page('tooltip'),
    hooks: {
      // Only board order is shared: a sorted column is not reordered by a drop, and a
      // card dropped into one goes to the top of its board order (panels/cardsort.js).
      // A card someone else moved while it was held asks before it overrides (ui/hold.js).
      dropCard(leadId, from, to, index) {
        if (!reorderable(cardSort.sortOf(to))) {
          if (from === to) {
            cardSort.refuseReorder(to);
            render();
            return undefined;
          }
          index = 0;
        }
        const asking = hold.drop(leadId, to);
        if (!asking) return writes.moveLead(leadId, to, index);
        return asking.then((anyway) => (anyway ? writes.moveLead(leadId, to, index) : render()));
      },
      sortMenu: (stageId, rect) => cardSort.openMenu(stageId, rect),
      dropChip: (campaignId, from, to) => writes.moveCampaign(campaignId, from, to),
      chipMenu: (campaignId, stageId, at) => campaigns.chipMenu(campaignId, stageId, at),
      chipTip: (campaignId, stageId) => campaigns.chipTip(campaignId, stageId),
      chipList: (stageId, at) => campaignList.open(stageId, at),
      dropColumn: (stageId, index) => stages.reorder(stageId, index),
      stageMenu: (stageId, rect) => stages.openMenu(stageId, rect),
      needMore: (stageId) => follow.loadMore(stageId),
      // Many at once (panels/bulk.js).
      toggleSelect: (leadId) => bulk.toggle(leadId),
      lassoSelect: (leadIds) => bulk.lasso(leadIds),
      clearSelection: () => bulk.clear(),
      dropSelection: (leadIds, to, index) => bulk.drop(leadIds, to, index),
      cardMenu: (leadId, at) => bulk.cardMenu(leadId, at),
      select(leadId) {
        boardEl.focus({ preventScroll: true });
        keyboard.select(leadId, false);
      },
      openCard: (leadId) => drawer.open(leadId),
      quickAdd: (stageId, rect) => drawer.quickAdd(stageId, rect),
      // A header's "12 overdue": the board shows only the overdue leads (a quick filter).
      showOverdue: () => setFilters({ ...store.filters, overdue: true }),
      dragState(active) {
        store.dragging = active;
        hook.dragging(active);
        hold.held(active ? view.heldCard : null);
        if (!active) render();
      },
    },
  });
  const follow = createFollow({
    store, api, me, view, render, toast, announce, notify,
    loaded() {
      toolbar.setChoices(store.state, store.filters);
      if (store.selection != null && !store.state.leads[store.selection]) keyboard.select(null);
    },
    changed: () => figures.schedule(),
    signedOut: () => link.signedOut(),
  });
  const figures = createFigures({ store, api, render, notify, ended: () => link.ended });
  const writes = createWrites({
    store, api, me, canEdit, view, render, toast, confirm, follow,
    closeDeal, lostReasons: config.lost_reasons || [],
    showUndo: (enabled, label) => toolbar.setUndo(enabled, label),
  });
  const { setFilters, setLead } = createAddress({
    store,
    leadChanged: (search) => drawer.address(search),
    changed(filters) {
      view.resetScroll();
      store.pagesShown.clear();
      keyboard.select(null);
      if (store.state) toolbar.setChoices(store.state, filters);
      store.funnel = null; // figures of the old filters would mislead
      follow.sync.reload();
      figures.load();
      notify('filters', filters);
    },
  });
  const toolbar = createToolbar(document.body, {
    me,
    onFilters: (next) => setFilters(next),
    onUndo: writes.undoLast,
    onZoom: (action) => (action === 'in' ? view.zoomIn() : action === 'out' ? view.zoomOut() : view.fit()),
  });
  const shortcutsSheet = page('shortcuts');
  fillLegend(page('legend'));
  const openShortcuts = () => {
    if (!shortcutsSheet.open) shortcutsSheet.showModal();
  };
  shortcutsSheet.querySelector('[data-close]').addEventListener('click', () => shortcutsSheet.close());
  const shortcutsButton = document.getElementById('shortcuts-button');
  if (shortcutsButton) shortcutsButton.addEventListener('click', openShortcuts);
  const keyboard = createKeyboard({
    store, boardEl, statusEl: page('selection-status'), view, announce, writes, notify, shortcuts: openShortcuts,
  });
  // The pill says the link's status only on the live board (ui/mode.js).
  const pill = createModePill({ el: page('ws-status'), toolbar, asOf: () => store.asOf });
  features.add(pill);
  const link = createLink({ store, boardId, me, share, sync: follow.sync, toolbar: { ...toolbar, setStatus: pill.setStatus }, toast, notify });
  const travel = createTimeTravel({ store, follow, figures, render, notify });
  setInterval(render, 5 * 60_000); // days in stage move on

  const board = featureBoard({ store, config, canEdit, api, toast, confirm, announce, view, socket: link.socket, notify, render, follow, travel, setFilters });
  const cardSort = createCardSort(board);
  features.add(cardSort);
  const panel = createPanel(board);
  features.add(figures, panel, createTimebar(board), createExport(board, { charts: panel }));
  if (config.meeting) features.add(createMeeting(board));
  features.add(createHandoff(board), createQuality(board), createLostReasons(board), createImporter(board));
  const campaigns = createCampaigns(board, { refreshPickers: () => toolbar.setChoices(store.state, store.filters) });
  features.add(campaigns);
  const campaignList = createCampaignList(board);
  features.add(campaignList, createCosts(board));
  const stages = createStages(board, { remember: writes.remember });
  features.add(stages);
  if (me.id && !share) features.add(createBell(document.body, { boardId, toast }));
  features.add(createMembership({ me, store, render, toast, socket: link.socket, viewOnlyEl: page('board-view-only'), rightsChanged: () => writes.updateUndo() }));
  features.add(createBoardInfo(board), createEmptyState(board));
  // After the handoff lane: an Enter its form took does not open the drawer.
  const drawer = createDrawer(board, { setLead, selection: () => store.selection, moveLead: (leadId, to) => writes.moveLead(leadId, to, 0), closing: writes.closing });
  features.add(drawer);
  const bulk = createBulk(board, { remember: writes.remember, follow });
  features.add(bulk);
  const hold = createHold({ store, view, me, confirm, announce });
  features.add(hold);
  createMenu(); // phones: the toolbar, panel and time bar fold into "☰ More"

  const hook = installTestHook({
    view,
    columns: () => store.columns,
    status: () => link.status,
    seq: () => (store.state ? store.state.seq : 0),
    asOf: () => store.asOf,
    ready: null,
  });
  page('board-view-only').hidden = canEdit();
  writes.updateUndo();
  return startBoard({ load: follow.load, view, socket: link.socket, figures, loadingEl: page('board-loading') });
}

// composeBoard installs the test hook (window.funnelboard): read it after the call.
const ready = composeBoard(JSON.parse(page('board-config').textContent));
window.funnelboard.ready = ready;
