"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __exportStar = (this && this.__exportStar) || function(m, exports) {
    for (var p in m) if (p !== "default" && !Object.prototype.hasOwnProperty.call(exports, p)) __createBinding(exports, m, p);
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.parseEvent = exports.issuesFromZodError = exports.isJsonObject = exports.contractFailure = exports.utcTimestamp = exports.salesChannel = exports.SALES_CHANNELS = exports.numericRecord = exports.money = exports.identifier = exports.decimalAmount = exports.DECIMAL_AMOUNT = exports.currencyCode = exports.calendarDate = exports.absoluteUri = void 0;
// Storeloop contracts: topic names, event types, payload schemas and the
// CloudEvents envelope. Pure: no NestJS, no I/O.
__exportStar(require("./errors"), exports);
var primitives_1 = require("./primitives");
Object.defineProperty(exports, "absoluteUri", { enumerable: true, get: function () { return primitives_1.absoluteUri; } });
Object.defineProperty(exports, "calendarDate", { enumerable: true, get: function () { return primitives_1.calendarDate; } });
Object.defineProperty(exports, "currencyCode", { enumerable: true, get: function () { return primitives_1.currencyCode; } });
Object.defineProperty(exports, "DECIMAL_AMOUNT", { enumerable: true, get: function () { return primitives_1.DECIMAL_AMOUNT; } });
Object.defineProperty(exports, "decimalAmount", { enumerable: true, get: function () { return primitives_1.decimalAmount; } });
Object.defineProperty(exports, "identifier", { enumerable: true, get: function () { return primitives_1.identifier; } });
Object.defineProperty(exports, "money", { enumerable: true, get: function () { return primitives_1.money; } });
Object.defineProperty(exports, "numericRecord", { enumerable: true, get: function () { return primitives_1.numericRecord; } });
Object.defineProperty(exports, "SALES_CHANNELS", { enumerable: true, get: function () { return primitives_1.SALES_CHANNELS; } });
Object.defineProperty(exports, "salesChannel", { enumerable: true, get: function () { return primitives_1.salesChannel; } });
Object.defineProperty(exports, "utcTimestamp", { enumerable: true, get: function () { return primitives_1.utcTimestamp; } });
__exportStar(require("./envelope"), exports);
__exportStar(require("./event-types"), exports);
var parse_event_1 = require("./parse-event");
Object.defineProperty(exports, "contractFailure", { enumerable: true, get: function () { return parse_event_1.contractFailure; } });
Object.defineProperty(exports, "isJsonObject", { enumerable: true, get: function () { return parse_event_1.isJsonObject; } });
Object.defineProperty(exports, "issuesFromZodError", { enumerable: true, get: function () { return parse_event_1.issuesFromZodError; } });
Object.defineProperty(exports, "parseEvent", { enumerable: true, get: function () { return parse_event_1.parseEvent; } });
__exportStar(require("./payloads/dead-letter-record"), exports);
__exportStar(require("./payloads/model-lifecycle-event"), exports);
__exportStar(require("./payloads/training-example"), exports);
__exportStar(require("./payloads/replenishment-order"), exports);
__exportStar(require("./topics"), exports);
__exportStar(require("./topic-payloads"), exports);
__exportStar(require("./message-headers"), exports);
__exportStar(require("./json-schema"), exports);
__exportStar(require("./asyncapi"), exports);
__exportStar(require("./examples"), exports);
