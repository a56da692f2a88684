using Microsoft.Extensions.Hosting;

RollbackFunctions.FunctionsApp.Build(args).Run();
