using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RollbackFunctions.Api.Access;
using RollbackFunctions.Api.Configuration;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddRollbackServices(builder.Configuration);
// Reachable from the internet: without configured keys every route but health answers 401.
builder.Services.Configure<AccessOptions>(access => access.RequireKeys = true);
builder.Build().Run();
