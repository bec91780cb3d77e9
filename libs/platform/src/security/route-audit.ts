import 'reflect-metadata';
import { RequestMethod, type DynamicModule, type ForwardReference, type Type } from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ApiKeyGuard, REQUIRED_SCOPE } from './api-key.guard';
import type { ApiScope } from './api-keys';

/** One HTTP route of a Nest module graph, as Nest will register it, and what protects it. */
export interface RouteEntry {
  /** `GET /v1/users/:userId/recommendations` */
  route: string;
  controller: string;
  handler: string;
  /** The scope the route demands; undefined when none applies (the guard then lets everyone through). */
  scope?: ApiScope;
  /** Whether ApiKeyGuard runs on the route (on the controller or the handler). */
  guarded: boolean;
}

type ModuleRef = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

function joinPath(...parts: (string | undefined)[]): string {
  const segments = parts.flatMap((part) => (part ?? '').split('/')).filter(Boolean);
  return `/${segments.join('/')}`;
}

function pathsOf(target: object): string[] {
  const value = Reflect.getMetadata(PATH_METADATA, target) as string | string[] | undefined;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function hasApiKeyGuard(target: object): boolean {
  const guards = (Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? [];
  return guards.some((guard) => guard === ApiKeyGuard || guard instanceof ApiKeyGuard);
}

function routesOf(controller: Type): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const prefixes = pathsOf(controller);
  const classGuarded = hasApiKeyGuard(controller);
  const classScope = Reflect.getMetadata(REQUIRED_SCOPE, controller) as ApiScope | undefined;
  const prototype = controller.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as object | undefined;
    if (name === 'constructor' || typeof handler !== 'function') continue;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    // Message handlers (@EventPattern) and plain methods carry no HTTP method.
    if (method === undefined) continue;
    for (const prefix of prefixes.length ? prefixes : ['']) {
      for (const path of pathsOf(handler)) {
        routes.push({
          route: `${RequestMethod[method]} ${joinPath(prefix, path)}`,
          controller: controller.name,
          handler: name,
          scope: (Reflect.getMetadata(REQUIRED_SCOPE, handler) as ApiScope | undefined) ?? classScope,
          guarded: classGuarded || hasApiKeyGuard(handler),
        });
      }
    }
  }
  return routes;
}

/**
 * Every HTTP route of a module graph (the root module, its imports, their
 * imports...), read from the same decorator metadata Nest routes by, without
 * instantiating anything: no connection is opened.
 */
export async function listRoutes(root: ModuleRef): Promise<RouteEntry[]> {
  const seenModules = new Set<unknown>();
  const seenControllers = new Set<Type>();
  const routes: RouteEntry[] = [];
  const addControllers = (controllers: readonly Type[]): void => {
    for (const controller of controllers) {
      if (seenControllers.has(controller)) continue;
      seenControllers.add(controller);
      routes.push(...routesOf(controller));
    }
  };
  const visit = async (ref: ModuleRef | undefined): Promise<void> => {
    if (!ref) return;
    const resolved = 'forwardRef' in ref ? (ref.forwardRef() as ModuleRef) : await ref;
    if (seenModules.has(resolved)) return;
    seenModules.add(resolved);
    if ('module' in resolved) {
      await visit(resolved.module);
      addControllers(resolved.controllers ?? []);
      for (const imported of resolved.imports ?? []) await visit(imported);
      return;
    }
    addControllers((Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, resolved) as Type[] | undefined) ?? []);
    for (const imported of (Reflect.getMetadata(MODULE_METADATA.IMPORTS, resolved) as ModuleRef[] | undefined) ?? []) await visit(imported);
  };
  await visit(root);
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}

/** Routes anyone may call: neither guarded with a scope nor on the explicit public list (`GET /health/live`). */
export function unprotectedRoutes(routes: readonly RouteEntry[], publicRoutes: readonly string[]): RouteEntry[] {
  const open = new Set(publicRoutes);
  return routes.filter((entry) => !(entry.guarded && entry.scope) && !open.has(entry.route));
}

/**
 * The routes every service shares that need no key: probes and metrics for
 * orchestrators and Prometheus (they must work before any key exists), and
 * the API docs (the API's shape is no secret; each operation still needs its key).
 */
export const PLATFORM_PUBLIC_ROUTES: readonly string[] = [
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'GET /docs',
  'GET /docs/openapi.json',
  'GET /docs/assets/swagger-init.js',
  'GET /docs/assets/:name',
];
