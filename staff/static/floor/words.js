/* The floor's words for the desk's codes: never a raw value like pending_handoff on screen. */

export { labelText, REASONS, STATUS } from "../console/labels.js";

export var PRESENCE = { online: "在线 Online", away: "离开 Away", offline: "离线 Offline" };
export var ROLES = { agent: "客服 Agent", supervisor: "主管 Supervisor", admin: "管理员 Admin" };
export var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服 Agent", system: "系统 System" };

export var TEXT = {
  confirmTakeOver: function (agent) {
    return "接管这个会话？它将从 " + agent + " 转给你，客户会看到你的名字。\n" +
      "Take this chat over from " + agent + "? It becomes yours and the customer sees your name.";
  },
  tookOver: "已接管，可在工作台回复客户 / Taken over: reply from the console",
  whispered: "悄悄话已发给 / Whisper sent to ",
  gone: "这个会话已结束或不存在 / This chat is closed or gone",
  notServed: "还没有客服接入，不能发悄悄话或接管 / Nobody serves this chat yet: no whisper or take-over",
  yours: "这是你自己的会话，请在工作台处理 / This chat is yours: work it in the console",
  closed: "会话已结束 · 只读 / Closed (read-only)",
  watching: "只读 · 你没有接入这个会话 / Read-only: you are watching",
  nobodyYet: "排队中 · 还没有客服接入 / Waiting: nobody serves it yet"
};
