{-# LANGUAGE ScopedTypeVariables #-}
-- |
-- Module      : System.Mesos.Scheduler
-- Description : The Mesos scheduler interface and scheduler driver
--
-- The scheduler API of hs-mesos (@System.Mesos.Scheduler@), implemented on
-- @libmesos_sched@, which speaks the Mesos v1 scheduler HTTP API: nothing
-- but that library is needed at run time (no libmesos, no C++ shim).
--
-- A scheduler is a value of a type with a 'ToScheduler' instance; its
-- callbacks run one at a time on a thread of the binding: the driver runs in
-- the library's poll mode, and after 'start' a bound Haskell thread polls it
-- and runs the callbacks, never a thread of the library.
-- Programs must be linked with @-threaded@.
--
-- Beyond hs-mesos: 'acceptOffers', 'suppressOffers', 'reviveOffersFor',
-- 'suppressOffersFor', 'acknowledgeStatusUpdate', 'updateFramework',
-- 'updateFrameworkWith', 'setOption' and 'withSchedulerDriverOptions'
-- (explicit acknowledgements, driver options, FrameworkInfo capabilities and
-- roles through 'FrameworkInfoExtras').
--
-- Errors: every driver function returns the driver's 'Status', as in
-- hs-mesos. A usage error the C library reports with a negative code (a
-- malformed argument, @await@ inside a callback, 'acknowledgeStatusUpdate'
-- with implicit acknowledgements, any call on a destroyed driver) is thrown
-- as a 'DriverError'. An exception escaping a callback is printed on stderr
-- and aborts the driver; it never reaches the C library. A message that
-- cannot be decoded aborts the driver too, then reaches 'errorMessage'.
module System.Mesos.Scheduler (
  -- * Creating a new 'Scheduler'
  ToScheduler(..),
  SchedulerDriver,
  -- * Managing framework actions with a 'SchedulerDriver'
  -- ** 'SchedulerDriver' lifecycle management
  withSchedulerDriver,
  withSchedulerDriverOptions,
  DriverOptions(..),
  defaultDriverOptions,
  start,
  stop,
  abort,
  await,
  run,
  -- ** Managing and interacting with tasks and resources
  requestResources,
  launchTasks,
  acceptOffers,
  killTask,
  declineOffer,
  reviveOffers,
  reviveOffersFor,
  suppressOffers,
  suppressOffersFor,
  acknowledgeStatusUpdate,
  sendFrameworkMessage,
  reconcileTasks,
  updateFramework,
  updateFrameworkWith,
  setOption,
  -- * Errors
  DriverError(..),
  DriverErrorCode(..),
  libraryVersion,
  -- * Low-level lifecycle management
  createDriver,
  createDriverWithOptions,
  destroyDriver,
  Scheduler,
  createScheduler,
  destroyScheduler,
  schedulerDriverCount,
  schedulerCallbacks,
  driverHandle
) where

import           Control.Concurrent           (ThreadId, forkIO, forkOSWithUnmask, myThreadId,
                                               rtsSupportsBoundThreads, runInBoundThread)
import           Control.Concurrent.MVar      (newEmptyMVar, putMVar, takeMVar)
import           Control.Concurrent.STM
import           Control.Exception
import           Control.Monad                (forM_, unless, void, when)
import           Data.ByteString              (ByteString)
import qualified Data.ByteString              as BS
import qualified Data.ByteString.Char8        as BC
import qualified Data.ByteString.Unsafe       as BU
import           Data.Int                     (Int32)
import           Data.IORef
import           Data.IntMap.Strict           (IntMap)
import qualified Data.IntMap.Strict           as IntMap
import           Data.Word                    (Word8)
import           Foreign.C.String             (CString, peekCString, peekCStringLen)
import           Foreign.C.Types              (CBool (..), CSize)
import           Foreign.Marshal.Alloc        (alloca, allocaBytes)
import           Foreign.Marshal.Array        (allocaArray, peekArray, withArray)
import           Foreign.Ptr
import           Foreign.Storable             (peek)
import           System.IO                    (hFlush, hPutStrLn, stderr)
import           System.Mesos.Internal.FFI
import           System.Mesos.Types           hiding (requestResources)

-- | Callback interface to be implemented by frameworks' schedulers. Every
-- method has a default that does nothing. Only one callback runs at a time,
-- on the binding's thread that serves the driver, so a callback that blocks
-- delays every later one.
-- Driver functions may be called from callbacks, except 'await' and 'run'.
class ToScheduler a where
  -- | Invoked when the scheduler successfully registers with a Mesos
  -- master, with the framework's ID and the current master.
  registered :: a -> SchedulerDriver -> FrameworkID -> MasterInfo -> IO ()
  registered _ _ _ _ = return ()

  -- | Invoked when the scheduler re-registers after a disconnection (e.g.
  -- with a newly elected master).
  reRegistered :: a -> SchedulerDriver -> MasterInfo -> IO ()
  reRegistered _ _ _ = return ()

  -- | Invoked when the scheduler becomes disconnected from the master
  -- (e.g. the master fails and another is taking over).
  disconnected :: a -> SchedulerDriver -> IO ()
  disconnected _ _ = return ()

  -- | Invoked when resources have been offered to this framework. A single
  -- offer only contains resources from a single slave. Offered resources are
  -- not re-offered to this framework until they are declined or used (see
  -- 'launchTasks', 'declineOffer') or rescinded (see 'offerRescinded').
  resourceOffers :: a -> SchedulerDriver -> [Offer] -> IO ()
  resourceOffers _ _ _ = return ()

  -- | Invoked when an offer is no longer valid (e.g. the slave was lost or
  -- another framework used its resources).
  offerRescinded :: a -> SchedulerDriver -> OfferID -> IO ()
  offerRescinded _ _ _ = return ()

  -- | Invoked when the status of a task has changed. With implicit
  -- acknowledgements (the default), returning from this callback
  -- acknowledges the update; with explicit ones, call
  -- 'acknowledgeStatusUpdate'.
  statusUpdate :: a -> SchedulerDriver -> TaskStatus -> IO ()
  statusUpdate _ _ _ = return ()

  -- | Invoked when an executor sends a message (best effort, never
  -- retransmitted).
  frameworkMessage :: a -> SchedulerDriver -> ExecutorID -> SlaveID -> ByteString -> IO ()
  frameworkMessage _ _ _ _ _ = return ()

  -- | Invoked when a slave has been determined unreachable (e.g. machine
  -- failure, network partition).
  slaveLost :: a -> SchedulerDriver -> SlaveID -> IO ()
  slaveLost _ _ _ = return ()

  -- | Invoked when an executor has exited, with its exit status. As in
  -- hs-mesos the number arrives as a 'Status': @fromEnum status@ gives it back
  -- (usually an 'UnknownStatus' holding the wait status; 1 to 4 read as
  -- driver statuses).
  executorLost :: a -> SchedulerDriver -> ExecutorID -> SlaveID -> Status -> IO ()
  executorLost _ _ _ _ _ = return ()

  -- | Invoked when there is an unrecoverable error in the scheduler or
  -- driver. The driver is aborted BEFORE this callback runs.
  errorMessage :: a -> SchedulerDriver -> ByteString -> IO ()
  errorMessage _ _ _ = return ()

-- | A handle on a running scheduler driver. It stays usable until
-- 'withSchedulerDriver' leaves (or 'destroyDriver' begins); afterwards every
-- function throws a 'DriverError' with 'DriverDestroyed', except inside a
-- callback still running then, where calls return the stopped status.
data SchedulerDriver = SchedulerDriver
  { driverPtr        :: !DriverPtr
  , driverLife       :: !(TVar DriverLife)
  , driverCalls      :: !(TVar Int)
    -- ^ Calls into the library in progress; the handle is freed only at 0.
  , driverInCallback :: !(IORef (Maybe ThreadId))
    -- ^ The thread running a callback of this driver, if one runs.
  , driverExtras     :: !(IORef FrameworkInfoExtras)
    -- ^ Sent with every FrameworkInfo of 'updateFramework'.
  , driverRegistry   :: !(IORef (IntMap SchedulerDriver))
    -- ^ The scheduler's registry, which lists the driver until it is freed.
  , driverPoller     :: !(TVar Poller)
    -- ^ The thread serving the callbacks in poll mode.
  }

-- | The binding's thread that runs a poll-mode driver's callbacks.
data Poller
  = NoPoller
    -- ^ Not started, or the driver dispatches on a thread of its own
    -- (option @dispatch=thread@).
  | Polling
    -- ^ Serving callbacks until the driver leaves RUNNING.
  | PollerDone !Status
    -- ^ Done: the driver's final status, as join gave it once no callback ran
    -- or was owed any more. The poller no longer uses the handle.

-- | Where a driver is in its destruction.
data DriverLife
  = LifeOpen
    -- ^ Every thread may call it.
  | LifeClosing
    -- ^ 'destroyDriver' stops it and waits for its callback: only a callback
    -- still running may call it (and gets the stopped status).
  | LifeFreeing
    -- ^ The handle is being freed: no calls at all.
  | LifeFreed
  deriving Eq

newDriver :: IORef (IntMap SchedulerDriver) -> DriverPtr -> IO SchedulerDriver
newDriver registry p =
  SchedulerDriver p <$> newTVarIO LifeOpen <*> newTVarIO 0 <*> newIORef Nothing <*> newIORef noFrameworkInfoExtras
    <*> pure registry <*> newTVarIO NoPoller

-- | Equal when they are the same driver.
instance Eq SchedulerDriver where
  a == b = driverPtr a == driverPtr b

-- | Shows the handle's address.
instance Show SchedulerDriver where
  show d = "SchedulerDriver " ++ show (driverPtr d)

-- | Why the library refused a call.
data DriverErrorCode
  = NullArgument -- ^ MESOS_SCHED_STATUS_ERROR_NULL_ARGUMENT
  | InvalidArgument -- ^ MESOS_SCHED_STATUS_ERROR_INVALID_ARGUMENT
  | CalledFromCallback -- ^ 'await', 'run' or destruction inside a callback
  | InvalidState -- ^ e.g. 'acknowledgeStatusUpdate' with implicit acknowledgements
  | LibraryPanic -- ^ an internal bug of the library, caught at its boundary
  | DriverDestroyed -- ^ the driver was already destroyed
  | ThreadedRuntimeRequired -- ^ the program was not linked with @-threaded@
  | OtherErrorCode !Int -- ^ a code this binding does not know
  deriving (Show, Eq)

-- | A usage error reported by the driver, with the library's message.
data DriverError = DriverError
  { driverErrorCode    :: !DriverErrorCode
  , driverErrorMessage :: !String
  } deriving (Show, Eq)

-- | Thrown by driver functions on usage errors.
instance Exception DriverError

errorCodeOf :: Int32 -> DriverErrorCode
errorCodeOf code = case code of
  -1 -> NullArgument
  -2 -> InvalidArgument
  -3 -> CalledFromCallback
  -4 -> InvalidState
  -5 -> LibraryPanic
  n -> OtherErrorCode (fromIntegral n)

-- | A callback's message could not be decoded.
newtype UndecodableMessage = UndecodableMessage String deriving Show

instance Exception UndecodableMessage where
  displayException (UndecodableMessage message) = message

-- | Options chosen when the driver is created.
data DriverOptions = DriverOptions
  { optionImplicitAcknowledgements :: !Bool
    -- ^ Acknowledge every status update when 'statusUpdate' returns
    -- (default). When 'False', call 'acknowledgeStatusUpdate' yourself.
  , optionSettings                 :: ![(ByteString, ByteString)]
    -- ^ Driver options set before start (see 'setOption'), e.g.
    -- @("suppressed_roles", "a,b")@ or @("log.level", "debug")@. The binding
    -- sets @("dispatch", "poll")@ first; @("dispatch", "thread")@ here goes
    -- back to callbacks on the library's own dispatcher thread (each one then a
    -- foreign call-in).
  , optionFrameworkInfoExtras      :: !FrameworkInfoExtras
    -- ^ FrameworkInfo fields beyond hs-mesos's record (capabilities such as
    -- 'PartitionAware', roles, web UI URL, labels), sent with the framework
    -- info at subscription and by 'updateFramework'.
  } deriving (Show, Eq)

-- | Implicit acknowledgements, no settings.
defaultDriverOptions :: DriverOptions
defaultDriverOptions = DriverOptions True [] noFrameworkInfoExtras

-- | The callbacks of a 'ToScheduler' value, as C function pointers, and the
-- drivers created with them (until destroyed). They are referenced by those
-- drivers: destroy them first.
data Scheduler = Scheduler
  { schedulerVTable  :: !SchedulerVTable
  , schedulerFunPtrs :: ![FunPtr ()]
  , schedulerDrivers :: !(IORef (IntMap SchedulerDriver))
    -- ^ The live drivers created with it, by handle address: a callback finds
    -- its driver without a scan, and 'destroyDriver' removes it.
  }

handleKey :: DriverPtr -> Int
handleKey = fromIntegral . ptrToIntPtr

------------------------------------------------------------------------------
-- Callbacks

-- | Build the C callbacks of a scheduler. Free them with 'destroyScheduler'
-- once every driver using them is destroyed.
createScheduler :: ToScheduler a => a -> IO Scheduler
createScheduler s = do
  -- Callbacks arrive on a thread of the library: only the threaded RTS can run them.
  unless rtsSupportsBoundThreads $
    throwIO (DriverError ThreadedRuntimeRequired "mesos-sched needs a program linked with -threaded")
  drivers <- newIORef IntMap.empty
  let guarded :: String -> DriverPtr -> (SchedulerDriver -> IO ()) -> IO ()
      guarded name p action = do
        known <- IntMap.lookup (handleKey p) <$> readIORef drivers
        case known of
          -- Not a driver of this scheduler (or one already freed): nothing to call.
          Nothing -> report ("a " ++ name ++ " callback for an unknown driver " ++ show p ++ " was ignored")
          Just d -> do
            outcome <- try $ do
              self <- myThreadId
              bracket_ (writeIORef (driverInCallback d) (Just self)) (writeIORef (driverInCallback d) Nothing)
                (action d)
            case outcome of
              Right () -> return ()
              Left (e :: SomeException) -> do
                report ("exception in the " ++ name ++ " callback, aborting the driver: " ++ displayException e)
                -- Still inside the callback: destroyDriver frees the handle only
                -- after the callback has returned, so the handle is valid here.
                void (c_driver_abort p)
                -- A message this binding cannot read is an error of the driver, reported
                -- like the library's own: aborted first, then errorMessage.
                forM_ (fromException e) $ \(UndecodableMessage message) -> do
                  again <- try (errorMessage s d (BC.pack message))
                  forM_ (either Just (const Nothing) again) $ \(e' :: SomeException) ->
                    report ("exception in the errorMessage callback: " ++ displayException e')
      decoded :: Message m => String -> Ptr Word8 -> CSize -> IO m
      decoded what ptr len = do
        bytes <- peekBytes ptr len
        either (throwIO . UndecodableMessage . (("mesos-sched: cannot decode " ++ what ++ ": ") ++)) return
          (decodeMessage bytes)
  registeredFun <- mkBytes2Callback $ \_ p fp fl mp ml -> guarded "registered" p $ \d -> do
    fid <- decoded "FrameworkID" fp fl
    mi <- decoded "MasterInfo" mp ml
    registered s d fid mi
  reRegisteredFun <- mkBytesCallback $ \_ p mp ml -> guarded "reregistered" p $ \d ->
    decoded "MasterInfo" mp ml >>= reRegistered s d
  disconnectedFun <- mkDriverCallback $ \_ p -> guarded "disconnected" p $ \d -> disconnected s d
  offersFun <- mkBytesArrayCallback $ \_ p ptrs lens count -> guarded "resourceOffers" p $ \d -> do
    let n = fromIntegral count
    offerPtrs <- if n == 0 then return [] else peekArray n ptrs
    offerLens <- if n == 0 then return [] else peekArray n lens
    offers <- mapM (uncurry (decoded "Offer")) (zip offerPtrs offerLens)
    resourceOffers s d offers
  rescindedFun <- mkBytesCallback $ \_ p op ol -> guarded "offerRescinded" p $ \d ->
    decoded "OfferID" op ol >>= offerRescinded s d
  statusFun <- mkBytesCallback $ \_ p sp sl -> guarded "statusUpdate" p $ \d ->
    decoded "TaskStatus" sp sl >>= statusUpdate s d
  messageFun <- mkFrameworkMessageCallback $ \_ p ep el ap al dp dl -> guarded "frameworkMessage" p $ \d -> do
    eid <- decoded "ExecutorID" ep el
    sid <- decoded "SlaveID" ap al
    bytes <- peekBytes dp dl
    frameworkMessage s d eid sid bytes
  slaveLostFun <- mkBytesCallback $ \_ p ap al -> guarded "slaveLost" p $ \d ->
    decoded "SlaveID" ap al >>= slaveLost s d
  executorLostFun <- mkExecutorLostCallback $ \_ p ep el ap al status -> guarded "executorLost" p $ \d -> do
    eid <- decoded "ExecutorID" ep el
    sid <- decoded "SlaveID" ap al
    executorLost s d eid sid (toEnum (fromIntegral status))
  errorFun <- mkBytesCallback $ \_ p mp ml -> guarded "errorMessage" p $ \d ->
    peekBytes mp ml >>= errorMessage s d
  let vtable = SchedulerVTable
        { vtRegistered = registeredFun, vtReregistered = reRegisteredFun
        , vtDisconnected = disconnectedFun, vtResourceOffers = offersFun
        , vtOfferRescinded = rescindedFun, vtStatusUpdate = statusFun
        , vtFrameworkMessage = messageFun, vtSlaveLost = slaveLostFun
        , vtExecutorLost = executorLostFun, vtError = errorFun }
      funPtrs =
        [ castFunPtr registeredFun, castFunPtr reRegisteredFun, castFunPtr disconnectedFun
        , castFunPtr offersFun, castFunPtr rescindedFun, castFunPtr statusFun
        , castFunPtr messageFun, castFunPtr slaveLostFun, castFunPtr executorLostFun
        , castFunPtr errorFun ]
  return (Scheduler vtable funPtrs drivers)

-- | The C callbacks of a scheduler (the members of @mesos_sched_scheduler@),
-- for programs that drive @libmesos_sched@ through "System.Mesos.Internal.FFI".
schedulerCallbacks :: Scheduler -> SchedulerVTable
schedulerCallbacks = schedulerVTable

-- | The C handle (@mesos_sched_driver *@) of a driver, valid until it is destroyed.
driverHandle :: SchedulerDriver -> DriverPtr
driverHandle = driverPtr

-- | Free the callbacks of a scheduler. Every driver created with it must
-- have been destroyed.
destroyScheduler :: Scheduler -> IO ()
destroyScheduler = mapM_ freeHaskellFunPtr . schedulerFunPtrs

-- | How many drivers created with the scheduler are not destroyed yet.
schedulerDriverCount :: Scheduler -> IO Int
schedulerDriverCount scheduler = IntMap.size <$> readIORef (schedulerDrivers scheduler)

report :: String -> IO ()
report message = handle (\(_ :: SomeException) -> return ()) $ do
  hPutStrLn stderr ("mesos-sched (haskell): " ++ message)
  hFlush stderr

peekBytes :: Ptr Word8 -> CSize -> IO ByteString
peekBytes ptr len
  | len == 0 || ptr == nullPtr = return BS.empty
  | otherwise = BS.packCStringLen (castPtr ptr, fromIntegral len)

------------------------------------------------------------------------------
-- Life cycle

-- | Create a driver for the scheduler, run the action with it, then destroy
-- the driver (which stops it with failover semantics if still running, and
-- waits for its thread) and free the callbacks, even when the action
-- throws. The master is @host:port@, @http://host:port@, @zk://...@,
-- @file://...@ or @local@.
withSchedulerDriver :: ToScheduler a => a
                    -> FrameworkInfo
                    -> ByteString -- ^ the master, e.g. @"127.0.0.1:5050"@
                    -> Maybe Credential
                    -> (SchedulerDriver -> IO b)
                    -> IO b
withSchedulerDriver s info master cred =
  withSchedulerDriverOptions s info master cred defaultDriverOptions

-- | 'withSchedulerDriver' with 'DriverOptions' (e.g. explicit
-- acknowledgements).
withSchedulerDriverOptions :: ToScheduler a => a
                           -> FrameworkInfo
                           -> ByteString
                           -> Maybe Credential
                           -> DriverOptions
                           -> (SchedulerDriver -> IO b)
                           -> IO b
withSchedulerDriverOptions s info master cred options body =
  bracket (createScheduler s) destroyScheduler $ \scheduler ->
    bracket (createDriverWithOptions scheduler options info master cred) destroyDriver body

-- | Create a driver with implicit acknowledgements.
createDriver :: Scheduler -> FrameworkInfo -> ByteString -> Maybe Credential -> IO SchedulerDriver
createDriver scheduler = createDriverWithOptions scheduler defaultDriverOptions

-- | Create a driver; throws 'DriverError' when the library refuses the
-- arguments or an option.
createDriverWithOptions :: Scheduler -> DriverOptions -> FrameworkInfo -> ByteString -> Maybe Credential
                        -> IO SchedulerDriver
createDriverWithOptions scheduler options info master cred = do
  checkNoNul "master" master
  -- The library keeps the message of a failed mesos_sched_driver_new per OS
  -- thread: read it on the thread that made the call.
  created <- runInBoundThread $ allocaBytes schedulerStructSize $ \vtable -> do
    pokeSchedulerVTable vtable (schedulerVTable scheduler)
    withBytes (encodeFrameworkInfoWith info (optionFrameworkInfoExtras options)) $ \infoPtr infoLen ->
      BS.useAsCString master $ \masterPtr ->
        withMaybeBytes (encodeMessage <$> cred) $ \credPtr credLen ->
          alloca $ \out -> do
            code <- c_driver_new vtable nullPtr infoPtr infoLen masterPtr credPtr credLen
                      (fromBool' (optionImplicitAcknowledgements options)) out
            if code < 0
              then Left . DriverError (errorCodeOf code) . ("createDriver: " ++) <$> lastError nullPtr
              else Right <$> peek out
  p <- either throwIO return created
  driver <- newDriver (schedulerDrivers scheduler) p
  writeIORef (driverExtras driver) (optionFrameworkInfoExtras options)
  atomicModifyIORef' (schedulerDrivers scheduler) (\ds -> (IntMap.insert (handleKey p) driver ds, ()))
  -- Callbacks are served by a Haskell thread (see 'start'); a setting of the
  -- caller's may choose the library's dispatcher thread instead.
  (forM_ ((BC.pack "dispatch", BC.pack "poll") : optionSettings options) $ \(key, value) -> setOption driver key value)
    `onException` destroyDriver driver
  return driver

-- | Destroy a driver: stop it (failover semantics: tasks keep running) if it
-- still runs, wait for calls in progress in other threads (an 'await'
-- returns) and for a callback still running, free it. Idempotent. A
-- callback still running meanwhile may call the driver and gets the stopped
-- status; other threads get 'DriverDestroyed' from the moment this begins.
-- Throws 'DriverError' 'CalledFromCallback' inside one of the driver's
-- callbacks.
destroyDriver :: SchedulerDriver -> IO ()
destroyDriver d = do
  refuseInCallback d "destroyDriver"
  wasOpen <- atomically $ do
    life <- readTVar (driverLife d)
    when (life == LifeOpen) $ writeTVar (driverLife d) LifeClosing
    return (life == LifeOpen)
  -- Not interruptible once begun: an exception halfway would leave the
  -- handle neither usable nor freed (C's free waits the same way).
  if wasOpen then uninterruptibleMask_ (closeAndFree d)
  -- Destroyed by another thread meanwhile: return once it is freed.
  else atomically (readTVar (driverLife d) >>= \life -> unless (life == LifeFreed) retry)

closeAndFree :: SchedulerDriver -> IO ()
closeAndFree d = do
  let p = driverPtr d
      noCallsWithin limit = do
        expired <- maybe (return (return False)) (fmap readTVar . registerDelay) limit
        atomically $
          (readTVar (driverCalls d) >>= \n -> if n > 0 then retry else return True)
            `orElse` (expired >>= \e -> if e then return False else retry)
      -- Stopping (with failover, what free does first anyway) releases an
      -- await or run blocked in another thread. Repeated: a run that was
      -- already on its way in may start the driver after the first stop.
      drain = do
        void (c_driver_stop p (fromBool' True))
        idle <- noCallsWithin (Just 100000)
        unless idle drain
  drain
  -- A start that was in progress at the first stop may have started the
  -- driver since; no call begins any more, so this stop is the last needed.
  void (c_driver_stop p (fromBool' True))
  -- The poller leaves once the stopped driver has nothing more to run; a
  -- callback it runs may still call the driver (and gets the stopped status).
  void (waitForPoller d)
  -- Returns once a callback in progress has returned; none starts after
  -- the stop. Only then is the handle marked freed, so that callback's
  -- calls reached a handle whose free had not begun.
  void (c_driver_join p)
  atomically (writeTVar (driverLife d) LifeFreeing)
  void (noCallsWithin Nothing)
  c_driver_free p
  atomicModifyIORef' (driverRegistry d) (\ds -> (IntMap.delete (handleKey p) ds, ()))
  atomically (writeTVar (driverLife d) LifeFreed)

refuseInCallback :: SchedulerDriver -> String -> IO ()
refuseInCallback d what = do
  self <- myThreadId
  current <- readIORef (driverInCallback d)
  when (current == Just self) $
    throwIO (DriverError CalledFromCallback (what ++ " cannot be called inside one of the driver's own callbacks"))

fromBool' :: Bool -> CBool
fromBool' b = if b then 1 else 0

-- | Run a C call on a live driver and turn its code into a 'Status'.
call :: SchedulerDriver -> String -> (DriverPtr -> IO Int32) -> IO Status
call d what f = do
  self <- myThreadId
  inOwnCallback <- (== Just self) <$> readIORef (driverInCallback d)
  entered <- atomically $ do
    life <- readTVar (driverLife d)
    let allowed = life == LifeOpen || (life == LifeClosing && inOwnCallback)
    when allowed $ modifyTVar' (driverCalls d) (+ 1)
    return allowed
  unless entered $ throwIO (DriverError DriverDestroyed (what ++ ": the driver was destroyed"))
  -- The library keeps the message of a failed call per handle and OS thread:
  -- make the call and read the message on one bound thread.
  outcome <- runInBoundThread (do
      code <- f (driverPtr d)
      if code >= 0
        then return (Right (toEnum (fromIntegral code)))
        else Left . DriverError (errorCodeOf code) . ((what ++ ": ") ++) <$> lastError (driverPtr d))
    `finally` atomically (modifyTVar' (driverCalls d) (subtract 1))
  either throwIO return outcome

-- | A blocking call made interruptible: it runs in its own thread, so the
-- caller can be interrupted (e.g. by 'System.Timeout.timeout') while the
-- library call keeps waiting until the driver stops.
blockingCall :: SchedulerDriver -> String -> (DriverPtr -> IO Int32) -> IO Status
blockingCall d what f = do
  refuseInCallback d what
  result <- newEmptyMVar
  _ <- forkIO (try (call d what f) >>= putMVar result)
  takeMVar result >>= either (\(e :: SomeException) -> throwIO e) return

lastError :: DriverPtr -> IO String
lastError p = do
  let size = 1024
  allocaArray size $ \buf -> do
    full <- c_driver_last_error p buf (fromIntegral size)
    if full == 0 then return "" else peekCStringLen (buf, min (size - 1) (fromIntegral full))

-- | Starts the scheduler driver. This needs to be called before any other
-- driver calls are made.
start :: SchedulerDriver -> IO Status
start d = call d "start" $ \p -> do
  code <- c_driver_start p
  -- Inside the call, so destroyDriver (which waits for calls in progress)
  -- sees the poller before it frees the handle.
  when (code == fromIntegral (fromEnum Running)) (startPoller d)
  return code

-- | In poll mode, start the thread that serves the callbacks, once.
startPoller :: SchedulerDriver -> IO ()
startPoller d = do
  let p = driverPtr d
  -- The event fd exists only in poll mode; in thread mode the library's
  -- dispatcher thread serves the callbacks.
  pollMode <- alloca $ \out -> (>= 0) <$> c_driver_event_fd p out
  when pollMode $ do
    claimed <- atomically $ do
      poller <- readTVar (driverPoller d)
      case poller of
        NoPoller -> writeTVar (driverPoller d) Polling >> return True
        _ -> return False
    -- A bound thread: its polls, and so all callbacks, run on its one OS
    -- thread, as they did on the library's dispatcher thread; a poll blocks
    -- only that thread.
    when claimed $ mask_ $ void $ forkOSWithUnmask $ \unmask -> do
      outcome <- try (unmask (serveCallbacks p))
      final <- case outcome of
        Right status -> return status
        Left (e :: SomeException) -> do
          report ("the callback thread failed: " ++ displayException e)
          toEnum . fromIntegral <$> c_driver_join p
      atomically (writeTVar (driverPoller d) (PollerDone final))

-- | The poller's loop: wait in the library for callbacks and run them
-- (returns after some ran, or once the driver left RUNNING: stop and abort
-- wake it). Once the driver has left RUNNING, join serves what is still owed
-- (an error callback) and gives the final status.
--
-- Waiting inside the library rather than on the event fd with GHC's IO
-- manager ('threadWaitRead', then a poll with timeout 0) saves a wake-up of
-- the IO manager's thread per batch: measured with bench/Flood.hs, about 14 us
-- less CPU per update (40 instead of 54) when updates arrive a few at a time
-- (launch flood).
serveCallbacks :: DriverPtr -> IO Status
serveCallbacks p = loop
  where
    loop = do
      code <- c_driver_poll p (-1) nullPtr
      if code == fromIntegral (fromEnum Running)
        then loop
        else do
          when (code < 0) $ report ("mesos_sched_driver_poll failed with code " ++ show code)
          toEnum . fromIntegral <$> c_driver_join p

-- | Wait until the poller (if one was started) is done; its final status.
waitForPoller :: SchedulerDriver -> IO (Maybe Status)
waitForPoller d = atomically $ do
  poller <- readTVar (driverPoller d)
  case poller of
    NoPoller -> return Nothing
    Polling -> retry
    PollerDone status -> return (Just status)

-- | Stops the scheduler driver. If the failover flag is 'False', the
-- framework is torn down (all its executors and tasks are killed).
-- Otherwise they keep running for the failover timeout, so a scheduler
-- with the same framework ID can take over.
stop :: SchedulerDriver
     -> Bool -- ^ should failover?
     -> IO Status
stop d failover = call d "stop" (\p -> c_driver_stop p (fromBool' failover))

-- | Aborts the driver so that no more callbacks can be made to the
-- scheduler. Tasks keep running; 'await' returns 'Aborted'. 'stop' is not
-- called automatically.
abort :: SchedulerDriver -> IO Status
abort d = call d "abort" c_driver_abort

-- | Waits for the driver to be stopped or aborted, possibly blocking the
-- current thread indefinitely. Returns 'Aborted' if the driver was aborted,
-- and only once a callback still running has returned (none starts after
-- 'stop' or 'abort' returned): the caller then owns its world again.
-- Other Haskell threads keep running meanwhile, and the waiting thread can
-- be interrupted (e.g. by 'System.Timeout.timeout'). Throws 'DriverError'
-- 'CalledFromCallback' inside a callback, where it would never return.
await :: SchedulerDriver -> IO Status
await d = do
  refuseInCallback d "await"
  life <- readTVarIO (driverLife d)
  unless (life == LifeOpen) $ throwIO (DriverError DriverDestroyed "await: the driver was destroyed")
  -- With a poller, waiting for it is waiting for the driver: it finishes with
  -- join once the driver stopped and no callback runs.
  polled <- waitForPoller d
  case polled of
    Just status -> return status
    -- Never started (or in thread mode): the library's join.
    Nothing -> blockingCall d "await" c_driver_join

-- | Starts and immediately 'await's (blocks on) the driver.
run :: SchedulerDriver -> IO Status
run d = do
  refuseInCallback d "run"
  void (start d)
  await d

-- | Requests resources from Mesos. Any resources available are
-- asynchronously offered to the framework via 'resourceOffers'.
requestResources :: SchedulerDriver -> [Request] -> IO Status
requestResources d requests =
  call d "requestResources" $ \p ->
    withBytesArray (map encodeMessage requests) $ \ptrs lens n -> c_driver_request_resources p ptrs lens n

-- | Launches the given set of tasks on the given offers (all from one
-- slave). Unused resources are declined with the filters. An empty task list
-- declines the offers.
launchTasks :: SchedulerDriver -> [OfferID] -> [TaskInfo] -> Filters -> IO Status
launchTasks d offers tasks fs =
  call d "launchTasks" $ \p ->
    withBytesArray (map encodeMessage offers) $ \ops ols on ->
      withBytesArray (map encodeMessage tasks) $ \tps tls tn ->
        withBytes (encodeMessage fs) $ \fp fl -> c_driver_launch_tasks p ops ols on tps tls tn fp fl

-- | Accepts offers with a list of operations (launch, reserve, create
-- volumes, ...). An empty operation list declines the offers.
acceptOffers :: SchedulerDriver -> [OfferID] -> [OfferOperation] -> Filters -> IO Status
acceptOffers d offers operations fs =
  call d "acceptOffers" $ \p ->
    withBytesArray (map encodeMessage offers) $ \ops ols on ->
      withBytesArray (map encodeMessage operations) $ \xps xls xn ->
        withBytes (encodeMessage fs) $ \fp fl -> c_driver_accept_offers p ops ols on xps xls xn fp fl

-- | Kills the specified task. Not reliable: if the driver is disconnected,
-- the request is dropped; retry after reconciling.
killTask :: SchedulerDriver -> TaskID -> IO Status
killTask d task =
  call d "killTask" $ \p -> withBytes (encodeMessage task) $ \tp tl -> c_driver_kill_task p tp tl

-- | Declines an offer in its entirety and applies the filters to its
-- resources. Can be called at any time.
declineOffer :: SchedulerDriver -> OfferID -> Filters -> IO Status
declineOffer d offer fs =
  call d "declineOffer" $ \p ->
    withBytes (encodeMessage offer) $ \op ol ->
      withBytes (encodeMessage fs) $ \fp fl -> c_driver_decline_offer p op ol fp fl

-- | Removes all filters previously set by the framework and stops
-- suppressing offers, for all of its roles.
reviveOffers :: SchedulerDriver -> IO Status
reviveOffers d = call d "reviveOffers" $ \p -> c_driver_revive_offers p nullPtr 0

-- | 'reviveOffers' for some roles only.
reviveOffersFor :: SchedulerDriver -> [ByteString] -> IO Status
reviveOffersFor d roles =
  call d "reviveOffersFor" $ \p -> withCStrings roles $ \rs n -> c_driver_revive_offers p rs n

-- | Asks the master to stop sending offers (for all roles) until
-- 'reviveOffers'.
suppressOffers :: SchedulerDriver -> IO Status
suppressOffers d = call d "suppressOffers" $ \p -> c_driver_suppress_offers p nullPtr 0

-- | 'suppressOffers' for some roles only.
suppressOffersFor :: SchedulerDriver -> [ByteString] -> IO Status
suppressOffersFor d roles =
  call d "suppressOffersFor" $ \p -> withCStrings roles $ \rs n -> c_driver_suppress_offers p rs n

-- | Acknowledges a status update (explicit acknowledgements only, see
-- 'withSchedulerDriverOptions'). Uses the status's task ID, slave ID and
-- UUID; a status without UUID needs no acknowledgement and is ignored.
-- Throws 'DriverError' 'InvalidState' with implicit acknowledgements.
acknowledgeStatusUpdate :: SchedulerDriver -> TaskStatus -> IO Status
acknowledgeStatusUpdate d status =
  call d "acknowledgeStatusUpdate" $ \p ->
    withBytes (encodeMessage status) $ \sp sl -> c_driver_acknowledge_status_update p sp sl

-- | Sends a message from the framework to one of its executors (best
-- effort).
sendFrameworkMessage :: SchedulerDriver -> ExecutorID -> SlaveID -> ByteString -> IO Status
sendFrameworkMessage d executor slave bytes =
  call d "sendFrameworkMessage" $ \p ->
    withBytes (encodeMessage executor) $ \ep el ->
      withBytes (encodeMessage slave) $ \sp sl ->
        withBytes bytes $ \bp bl -> c_driver_send_framework_message p ep el sp sl bp bl

-- | Reconciliation of tasks causes the master to send status updates for
-- the given tasks (only their task and slave IDs matter); an empty list
-- asks for every task the master knows of this framework.
reconcileTasks :: SchedulerDriver -> [TaskStatus] -> IO Status
reconcileTasks d statuses =
  call d "reconcileTasks" $ \p ->
    withBytesArray (map encodeMessage statuses) $ \ptrs lens n -> c_driver_reconcile_tasks p ptrs lens n

-- | Changes the framework's 'FrameworkInfo' (same framework ID) and the set
-- of roles whose offers are suppressed. The 'FrameworkInfoExtras' given at
-- creation (or by the last 'updateFrameworkWith') are sent along, so
-- capabilities are not lost.
updateFramework :: SchedulerDriver -> FrameworkInfo -> [ByteString] -> IO Status
updateFramework d info suppressedRoles = do
  extras <- readIORef (driverExtras d)
  updateFrameworkWith d info extras suppressedRoles

-- | 'updateFramework' with new 'FrameworkInfoExtras' (kept for later updates).
updateFrameworkWith :: SchedulerDriver -> FrameworkInfo -> FrameworkInfoExtras -> [ByteString] -> IO Status
updateFrameworkWith d info extras suppressedRoles = do
  status <- call d "updateFramework" $ \p ->
    withBytes (encodeFrameworkInfoWith info extras) $ \ip il ->
      withCStrings suppressedRoles $ \rs n -> c_driver_update_framework p ip il rs n nullPtr 0
  writeIORef (driverExtras d) extras
  return status

-- | Sets a driver option before 'start' (keys such as
-- @suppressed_roles@, @heartbeat.timeout_factor@, @backoff.initial_ms@,
-- @log.level@; see the library's documentation). Throws 'DriverError'
-- 'InvalidArgument' for an unknown key or value.
setOption :: SchedulerDriver -> ByteString -> ByteString -> IO Status
setOption d key value = do
  checkNoNul "option key" key
  checkNoNul "option value" value
  call d ("setOption " ++ BC.unpack key) $ \p ->
    BS.useAsCString key $ \k -> BS.useAsCString value $ \v -> c_driver_set_option p k v

-- | The version of the loaded @libmesos_sched@ (\"MAJOR.MINOR.PATCH\").
libraryVersion :: IO String
libraryVersion = c_version >>= peekCString

------------------------------------------------------------------------------
-- Marshalling

-- A single message: never a NULL pointer, even for zero bytes (an empty
-- message is valid protobuf, a NULL pointer is not a message).
withBytes :: ByteString -> (Ptr Word8 -> CSize -> IO a) -> IO a
withBytes bytes f
  | BS.null bytes = alloca $ \(one :: Ptr Word8) -> f one 0
  | otherwise = BU.unsafeUseAsCStringLen bytes $ \(p, n) -> f (castPtr p) (fromIntegral n)

withMaybeBytes :: Maybe ByteString -> (Ptr Word8 -> CSize -> IO a) -> IO a
withMaybeBytes Nothing f = f nullPtr 0
withMaybeBytes (Just bytes) f = withBytes bytes f

withBytesArray :: [ByteString] -> (Ptr (Ptr Word8) -> Ptr CSize -> CSize -> IO a) -> IO a
withBytesArray [] f = f nullPtr nullPtr 0
withBytesArray messages f = go messages [] []
  where
    go [] ptrs lens =
      withArray (reverse ptrs) $ \ps ->
        withArray (reverse lens) $ \ls -> f ps ls (fromIntegral (length messages))
    go (m : ms) ptrs lens = withBytes m $ \p n -> go ms (p : ptrs) (n : lens)

-- An explicit list, possibly empty: never NULL (NULL means "all roles").
withCStrings :: [ByteString] -> (Ptr CString -> CSize -> IO a) -> IO a
withCStrings [] f = alloca $ \(none :: Ptr CString) -> f none 0
withCStrings strings f = do
  mapM_ (checkNoNul "role") strings
  go strings []
  where
    go [] acc = withArray (reverse acc) $ \ps -> f ps (fromIntegral (length strings))
    go (s : ss) acc = BS.useAsCString s $ \p -> go ss (p : acc)

checkNoNul :: String -> ByteString -> IO ()
checkNoNul what s =
  when (BS.elem 0 s) $ throwIO (DriverError InvalidArgument (what ++ " contains a NUL byte"))
