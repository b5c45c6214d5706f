/* The console's words for the desk's codes (statuses, handoff reasons, labels …) and names for ids. */

import { state } from "./state.js";

export var PRESENCE = { online: "在线", away: "离开", offline: "离线" };
export var STATUS = {
  queued: "排队中 Waiting",
  assigned: "处理中 In progress",
  resolved: "已解决 Resolved",
  handed_back: "已交回机器人 Handed back",
  offline: "非工作时间留言 After hours"
};
export var REASONS = {
  human_request: "客户要求转人工",
  complaint: "客户投诉",
  anger: "客户情绪激动",
  fallback: "机器人连续两次没听懂",
  slot_failed: "两次没提供有效订单号",
  order_not_found: "两次都没查到订单",
  verification_failed: "身份验证两次失败",
  tracking_stuck: "物流超过 72 小时未更新",
  remittance_overdue: "货款超期未打款",
  remittance_review: "货款风控审核中",
  remittance_held: "货款挂账，收款账户需要审核变更",
  claim: "理赔登记",
  lookup_unavailable: "订单系统查询失败",
  keyword: "命中人工关键词",
  offline: "非工作时间留言"
};
export var LABELS = {
  anger: "愤怒 anger",
  vip: "VIP",
  claim: "理赔 claim",
  major_complaint: "重大投诉 major",
  complaint: "投诉 complaint",
  high_value: "高额 high value",
  keyword: "关键词 keyword",
  offered: "推荐给你 for you"
};
export var AUTHORS = { customer: "客户 Customer", bot: "机器人 Bot", agent: "客服", system: "系统 System" };
export var LOOKUP_KINDS = {
  order: "订单 Order", shipment: "物流 Shipment", remittance: "货款 Remittance",
  refund: "退款 Refund", claim: "理赔 Claim", payment: "支付 Payment", stock: "库存 Stock"
};

// The lookup's and the conversation's fields, and the values the desk's systems write, in words.
export var FIELDS = {
  order_no: "订单号 Order", waybill_no: "运单号 Waybill", carrier: "快递 Carrier", status: "状态 Status",
  kind: "类型 Kind", item: "商品 Item", late: "超时上报 Reported late", claim_no: "理赔单 Claim",
  photos: "照片 Photos", latest_event: "最新物流 Latest", latest_event_at: "时间 At", amount: "金额 Amount",
  total: "金额 Total", product: "商品 Product", stock: "库存 Stock", remitted_at: "打款 Paid out",
  collected_at: "代收 Collected", delivered_at: "签收 Delivered", reason: "原因 Reason",
  language: "语言 Language", order_id: "订单号 Order", verified_phone: "已验证手机 Verified phone",
  verified_customer: "已验证客户 Verified customer", customer_tier: "客户等级 Tier", order_total: "订单金额 Order total",
  last_action: "最后查询 Last lookup", claim_kind: "理赔类型 Claim kind", claim_description: "理赔描述 Description",
  handoff_reason: "转人工原因 Handoff reason", script: "书写 Script", asked: "问过 Asked", left_message: "已留言 Left a message"
};
var VALUES = {
  "true": "是 Yes", "false": "否 No",
  regular: "普通 Regular", vip: "VIP", new: "新客 New",
  delivered: "已签收 Delivered", in_transit: "运输中 In transit", shipped: "已发货 Shipped", paid: "已付款 Paid",
  pending: "待处理 Pending", damage: "破损 Damage", loss: "丢件 Loss", missing: "少件/错发 Missing",
  awaiting_photos: "等照片 Awaiting photos", under_review: "审核中 Under review", approved: "已通过 Approved",
  rejected: "未通过 Declined", shop: "商城订单 Shop", cod: "代收货款 COD",
  web: "网页 Web", widget: "商城小窗 Shop widget", wechat: "微信 WeChat", telegram: "Telegram", rest: "接口 API",
  hans: "简体 Simplified", hant_hk: "繁体（香港）Traditional (HK)", hant_tw: "繁体（台湾）Traditional (TW)",
  zh: "中文", en: "English"
};

// What the bot understood a customer's turn to be about (knowledge_base/topics.py), in words.
export var TOPICS = {
  shipping_speed: "发货时效 Shipping time", shipping_fee: "运费 Shipping fee", order_status: "查货 Tracking",
  payment_arrival: "查款 Payment", payment_method: "支付方式 Paying", invoice: "发票 Invoice",
  address_change: "改地址 Address", cancellation: "取消订单 Cancel", refund: "退款退货 Refund", claim: "理赔 Claim",
  stock: "库存 Stock", product_info: "商品 Product", account: "账户 Account", promotion: "优惠 Promotion",
  complaint: "投诉 Complaint", service_info: "服务信息 Service", human_request: "要人工 Asks for a person",
  greeting: "问候 Greeting", goodbye: "告别 Goodbye", thanks: "感谢 Thanks", chitchat: "闲聊 Small talk",
  affirm: "肯定 Yes", deny: "否定 No", out_of_scope: "不相关 Off topic", attachment: "图片 Photo", csat: "评分 Rating"
};

export function topicName(topic) {
  return TOPICS[topic] || String(topic || "");
}

export function fieldName(key) {
  return FIELDS[key] || String(key);
}

/** A value as the desk reads it: yes/no, statuses and kinds in words, numbers and text as they are. */
export function valueText(value) {
  if (value === null || value === undefined) return "";
  var key = String(value);
  if (typeof value === "object") return JSON.stringify(value);
  return VALUES[key] || key;
}

export function queueName(id) {
  var q = state.queues[id];
  return q ? q.name_zh + " " + q.name_en : String(id || "");
}

/** A ticket's label in words; from_<queue> (it overflowed from that queue) names the queue with
 * `nameQueue` (the console's queueName unless a page names queues its own way). */
export function labelText(label, nameQueue) {
  var from = /^from_(.+)$/.exec(String(label));
  if (from) return "溢出 from " + (nameQueue || queueName)(from[1]);
  return LABELS[label] || String(label);
}

export function reasonText(code) {
  return REASONS[code] ? REASONS[code] + " (" + code + ")" : String(code || "");
}

export function colleagueName(id) {
  var me = state.me;
  if (me && id === me.id) return me.display_name;
  var colleagues = state.colleagues;
  for (var i = 0; i < colleagues.length; i++) if (colleagues[i].id === id) return colleagues[i].display_name;
  return id ? "#" + id : "";
}
