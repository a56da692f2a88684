using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace RollbackFunctions.Api.Http;

/// <summary>
/// The OpenAPI 3.1 document of the HTTP API, generated from the route table and the reply and
/// problem types each route declares (<see cref="ApiRoutes"/>). The local runtime serves it at
/// <see cref="Route"/>; <c>docs/openapi.json</c> is the same document, kept in step by a test.
/// </summary>
public static class ApiDocument
{
    public const string Route = "/api/openapi.json";

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
        });
        services.AddOpenApi(options => options
            .AddOperationTransformer((operation, context, _) => TagByResource(operation, context))
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
                + "takes an API key as 'Authorization: Bearer <key>' (or 'x-functions-key'); a key's roles decide "
                + "which routes it may use. Errors are RFC 9457 problem details.",
        };
        document.Servers = [new OpenApiServer { Url = "/" }];
        foreach (var (name, schema) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            if (schema is OpenApiSchema concrete)
            {
                OmitWhenNull(concrete);
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

    private static bool MayBeNull(IOpenApiSchema schema) =>
        (schema.Type is { } type && type.HasFlag(JsonSchemaType.Null))
        || (schema.OneOf?.Any(MayBeNull) ?? false)
        || (schema.AnyOf?.Any(MayBeNull) ?? false);

    /// <summary>Operations grouped by what they act on (deploys, alerts, rollbacks), not by the host's assembly name.</summary>
    private static Task TagByResource(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var resource = context.Description.RelativePath!.Split('/')[1];
        operation.Tags = new HashSet<OpenApiTagReference> { new(resource) };
        return Task.CompletedTask;
    }

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
