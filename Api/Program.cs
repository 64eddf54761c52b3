using AbandonedCart.Api;
using AbandonedCart.Api.Endpoints;
using AbandonedCart.Api.Reports;

var builder = WebApplication.CreateBuilder(args);
builder.AddApiServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.MapEvents();
app.MapOutbox();
app.MapReports();
app.MapDashboard();
app.MapTracking().MapProviderWebhooks();
app.MapHealthChecks("/health/live");
app.Run();
