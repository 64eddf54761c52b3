using AbandonedCart.Api;
using AbandonedCart.Api.Endpoints;

var builder = WebApplication.CreateBuilder(args);
builder.AddApiServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapEvents();
app.MapOutbox();
app.MapTracking().MapProviderWebhooks();
app.MapHealthChecks("/health/live");
app.Run();
