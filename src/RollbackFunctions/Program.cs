using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Configuration;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Storage or engine unreachable: 503 with Retry-After, so webhooks and CI retry (the host would say 500).
builder.UseMiddleware<RollbackFunctions.Api.UnavailableMiddleware>();
builder.Services.AddRollbackServices(builder.Configuration);
// Reachable from the internet: without configured keys every route but health answers 401.
builder.Services.Configure<AccessOptions>(access => access.RequireKeys = true);
builder.Build().Run();
