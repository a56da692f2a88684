using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using RollbackFunctions.Api.Access;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// The OpenAPI 3.1 document of the HTTP API, generated from the route table and what each route
/// declares (<see cref="ApiRoutes"/>): its name and summary, the roles its key needs, its reply and
/// problem types. The local runtime serves it at <see cref="Route"/>; <c>docs/openapi.json</c> is
/// the same document, kept in step by a test and linted with Redocly's recommended rules, which
/// fail on a route that declares no name, summary or access.
/// </summary>
public static class ApiDocument
{
    public const string Route = "/api/openapi.json";

    /// <summary>The extension naming the roles an operation's key needs (any one of them).</summary>
    public const string RolesExtension = "x-required-roles";

    /// <summary>What each tag (a route's first segment) groups; a tag without one fails the lint.</summary>
    private static readonly Dictionary<string, string> Tags = new(StringComparer.Ordinal)
    {
        ["deploys"] = "CI registers a deploy with its steps and checks, reports each step, asks the gate before the next; the rollback plan and its rehearsal; an operator starts a rollback.",
        ["alerts"] = "Alertmanager and Datadog webhooks: a firing alert correlated to a live deploy rolls it back.",
        ["rollbacks"] = "A rollback's status, audit trail and incident report; approving, rejecting, aborting, resuming GitOps.",
        ["quarantine"] = "Versions and artifacts a rollback keeps from coming back, and their release.",
        ["policy"] = "The guardrails and correlation labels in force, and the calling key's roles and scope (never secrets).",
        ["access"] = "What the calling key may do: its roles, services and environments.",
        ["insights"] = "Impact figures per service and environment: deploys, rollbacks, detection and restore times, partial rollbacks, error budget.",
        ["slack"] = "Slack's interaction requests (Approve and Reject clicks), authenticated by Slack's signature, not a key.",
        ["ui"] = "The ops page.",
        ["health"] = "Whether storage and the durable engine answer; no key.",
    };

    public static IServiceCollection AddRollbackOpenApi(this IServiceCollection services)
    {
        // The document describes bodies with the serializer settings of the minimal-API pipeline;
        // the handlers write with ApiJson.Replies, so those settings are copied from there.
        services.ConfigureHttpJsonOptions(json =>
        {
            foreach (var converter in ApiJson.Replies.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }

            json.SerializerOptions.DefaultIgnoreCondition = ApiJson.Replies.DefaultIgnoreCondition;

            // Numbers as replies write them: the web defaults would describe every number as
            // "integer or string with a pattern" (they read "5" too), which client generators
            // turn into strings. Only the document uses these options: handlers read and write
            // with ApiJson themselves.
            json.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        });
        services.AddOpenApi(options => options
            .AddOperationTransformer((operation, context, _) => TagByResource(operation, context))
            .AddOperationTransformer((operation, context, _) => DeclareAccess(operation, context))
            .AddDocumentTransformer((document, _, _) => Describe(document)));
        return services;
    }

    private static Task Describe(OpenApiDocument document)
    {
        document.Info = new OpenApiInfo
        {
            Title = "RollbackFunctions API",
            Version = "1",
            Description = "Register deploys, send alerts, read and steer rollbacks. Every route but /api/health and /api/ui "
                + "takes an API key, in any of the three forms under securitySchemes; the key needs one of the roles the "
                + $"operation names in {RolesExtension} (ci, alerts, operator, reader), and may be scoped to services and "
                + "environments (403 outside). Errors are RFC 9457 problem details.",
            // The repository grants no licence; the document says so (an SPDX reference of its own)
            // rather than leave it open.
            License = new OpenApiLicense { Name = "Proprietary: no licence granted", Identifier = "LicenseRef-Proprietary" },
        };
        document.Servers = [new OpenApiServer { Url = "/", Description = "the app itself: the Functions app or the local runtime" }];
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = KeyForms();
        foreach (var operation in Operations(document))
        {
            if (operation.Extensions?.ContainsKey(RolesExtension) == true)
            {
                // Alternatives: any one form of the key will do.
                operation.Security = KeyForms().Keys
                    .Select(form => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(form, document)] = [] })
                    .ToList();
            }
        }

        document.Tags = Operations(document)
            .SelectMany(operation => operation.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(tag => tag.Name!)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .Select(name => new OpenApiTag { Name = name, Description = Tags.GetValueOrDefault(name) })
            .ToHashSet();
        foreach (var (name, schema) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            if (schema is OpenApiSchema concrete)
            {
                OmitWhenNull(concrete);
                TypeStringEnum(concrete);
                if (name.EndsWith("ProblemDetails", StringComparison.Ordinal))
                {
                    // RFC 9457 extension members: traceId, and the per-field errors of a 400 or 422.
                    concrete.AdditionalProperties = new OpenApiSchema();
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Replies leave null properties out (<see cref="ApiJson.Replies"/>), so a property that may be
    /// null is not required: the generator would list it as required from the record's constructor.
    /// </summary>
    private static void OmitWhenNull(OpenApiSchema schema)
    {
        if (schema.Required is { Count: > 0 } required && schema.Properties is { } properties)
        {
            foreach (var (name, property) in properties)
            {
                if (MayBeNull(property))
                {
                    required.Remove(name);
                }
            }
        }
    }

    /// <summary>
    /// Enums are written as their names (<see cref="ApiJson.Replies"/>), but the generator leaves
    /// their schema without a type; a client generator then reads them as numbers. Said here once.
    /// </summary>
    private static void TypeStringEnum(OpenApiSchema schema)
    {
        var kinds = (schema.Enum ?? []).Select(v => v?.GetValueKind() ?? System.Text.Json.JsonValueKind.Null).ToHashSet();
        if (schema.Type is null && kinds.Contains(System.Text.Json.JsonValueKind.String) && kinds.IsSubsetOf([System.Text.Json.JsonValueKind.String, System.Text.Json.JsonValueKind.Null]))
        {
            // A null among the names comes from one nullable use; that use already says "or null".
            schema.Enum = [.. schema.Enum!.Where(v => v is not null)];
            schema.Type = JsonSchemaType.String;
        }
    }

    private static bool MayBeNull(IOpenApiSchema schema) =>
        (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        || (schema.OneOf?.Any(MayBeNull) ?? false)
        || (schema.AnyOf?.Any(MayBeNull) ?? false);

    private static IEnumerable<OpenApiOperation> Operations(OpenApiDocument document) =>
        document.Paths.Values.SelectMany(path => path.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>());

    /// <summary>The forms <see cref="ApiAccess"/> reads a key in, in its order.</summary>
    private static Dictionary<string, IOpenApiSecurityScheme> KeyForms() => new(StringComparer.Ordinal)
    {
        ["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "Authorization: Bearer <key>, as Alertmanager's http_config.authorization and Datadog's custom headers send it.",
        },
        ["functionsKey"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiAccess.FunctionsKeyHeader,
            Description = "The Functions host's key header, with one of this app's keys.",
        },
        ["code"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Query,
            Name = ApiAccess.CodeQuery,
            Description = "The key in the query string, as Functions clients send it (it lands in access logs: prefer a header).",
        },
    };

    /// <summary>
    /// The roles a route's key needs, from <see cref="Needs"/>, as <see cref="RolesExtension"/> (the
    /// document's transformer turns it into the security requirement); a route declared
    /// <see cref="WithoutKey"/> is open. A route that says neither gets no security, which the lint
    /// reports.
    /// </summary>
    private static Task DeclareAccess(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<RequiredRoles>().LastOrDefault() is { } required)
        {
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions[RolesExtension] = new JsonNodeExtension(new JsonArray([.. required.Roles.Select(role => JsonValue.Create(RoleName(role)))]));
        }
        else if (metadata.OfType<OpenRoute>().Any())
        {
            // One empty requirement: no key needed. Such a route still meets the web server's own
            // refusal of a malformed request (Kestrel's 400, before any route runs). Said as 400, not
            // 4XX: client generators (NSwag) cannot read a range.
            operation.Security = [new OpenApiSecurityRequirement()];
            operation.Responses ??= new OpenApiResponses();
            operation.Responses.TryAdd("400", new OpenApiResponse { Description = "A malformed request (request line, headers), refused by the web server before the route runs; no body." });
        }

        return Task.CompletedTask;
    }

    /// <summary>A role as keys are configured with it, and as <c>GET /api/policy</c> shows it.</summary>
    public static string RoleName(ApiRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Operations grouped by what they act on (deploys, alerts, rollbacks), not by the host's assembly name.</summary>
    private static Task TagByResource(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var resource = context.Description.RelativePath!.Split('/')[1];
        operation.Tags = new HashSet<OpenApiTagReference> { new(resource) };
        return Task.CompletedTask;
    }

    /// <summary>
    /// The operation's id (what a generated client names its method) and one-line summary. The id is
    /// also the endpoint's name, so it is unique.
    /// </summary>
    internal static RouteHandlerBuilder Operation(this RouteHandlerBuilder route, string id, string summary) =>
        route.WithName(id).WithSummary(summary);

    /// <summary>
    /// Declares the roles a key needs for this route, any one of them, for the document. The handler
    /// enforces them through <see cref="ApiAccess"/>; a test calls every route with a key of each
    /// role and checks the document says the same.
    /// </summary>
    internal static RouteHandlerBuilder Needs(this RouteHandlerBuilder route, params ApiRole[] roles) =>
        route.WithMetadata(new RequiredRoles(roles));

    /// <summary>Declares the route open: it takes no key.</summary>
    internal static RouteHandlerBuilder WithoutKey(this RouteHandlerBuilder route) =>
        route.WithMetadata(new OpenRoute());

    /// <summary>Declares the JSON reply of <paramref name="statuses"/>.</summary>
    internal static RouteHandlerBuilder Replies<T>(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            route.Produces<T>(status);
        }

        return route;
    }

    /// <summary>Declares the problem-details replies a route may send besides the ones every keyed route may.</summary>
    internal static RouteHandlerBuilder Problems(this RouteHandlerBuilder route, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            if (status == StatusCodes.Status400BadRequest)
            {
                route.ProducesValidationProblem();
            }
            else
            {
                route.ProducesProblem(status);
            }
        }

        return route;
    }

    /// <summary>A JSON request body of <typeparamref name="T"/>; optional for operator actions.</summary>
    internal static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder route, bool optional = false)
        where T : notnull =>
        route.Accepts<T>(optional, "application/json").Problems(StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

    /// <summary>Declares optional query parameters the handler reads from the request itself.</summary>
    internal static RouteHandlerBuilder Query(this RouteHandlerBuilder route, params (string Name, JsonSchemaType Type, string Description)[] parameters) =>
        route.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var (name, type, description) in parameters)
            {
                operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Description = description, Schema = new OpenApiSchema { Type = type } });
            }

            return Task.CompletedTask;
        });
}

/// <summary>Endpoint metadata: a key with any of these roles may call the route.</summary>
public sealed record RequiredRoles(IReadOnlyList<ApiRole> Roles);

/// <summary>Endpoint metadata: the route takes no key.</summary>
public sealed record OpenRoute;
