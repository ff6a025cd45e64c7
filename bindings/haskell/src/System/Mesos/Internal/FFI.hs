{-# LANGUAGE ForeignFunctionInterface #-}
-- |
-- Module      : System.Mesos.Internal.FFI
-- Description : Raw imports of the libmesos_sched C ABI
--
-- One-to-one imports of @include/mesos_sched.h@. Every import is @safe@: the
-- driver's functions may block (join, run, free) or run callbacks, and a safe
-- call lets other Haskell threads, including the callbacks themselves, run
-- meanwhile. Use "System.Mesos.Scheduler" instead of this module.
module System.Mesos.Internal.FFI
  ( -- * Handles
    CDriver
  , DriverPtr
    -- * Callback types and wrappers
  , DriverCallback
  , BytesCallback
  , Bytes2Callback
  , BytesArrayCallback
  , FrameworkMessageCallback
  , ExecutorLostCallback
  , mkDriverCallback
  , mkBytesCallback
  , mkBytes2Callback
  , mkBytesArrayCallback
  , mkFrameworkMessageCallback
  , mkExecutorLostCallback
    -- * The scheduler vtable
  , schedulerStructSize
  , SchedulerVTable (..)
  , pokeSchedulerVTable
    -- * Functions
  , c_driver_new
  , c_driver_set_option
  , c_driver_start
  , c_driver_stop
  , c_driver_abort
  , c_driver_join
  , c_driver_run
  , c_driver_poll
  , c_driver_event_fd
  , c_driver_request_resources
  , c_driver_launch_tasks
  , c_driver_kill_task
  , c_driver_accept_offers
  , c_driver_decline_offer
  , c_driver_revive_offers
  , c_driver_suppress_offers
  , c_driver_acknowledge_status_update
  , c_driver_send_framework_message
  , c_driver_reconcile_tasks
  , c_driver_update_framework
  , c_driver_free
  , c_driver_last_error
  , c_version
  ) where

import           Data.Int         (Int32)
import           Data.Word        (Word8)
import           Foreign.C.String (CString)
import           Foreign.C.Types  (CBool (..), CChar, CInt (..), CSize (..))
import           Foreign.Ptr      (FunPtr, Ptr, castFunPtrToPtr, nullFunPtr)
import           Foreign.Storable (pokeByteOff, sizeOf)

-- | The opaque @mesos_sched_driver@.
data CDriver

-- | A @mesos_sched_driver *@.
type DriverPtr = Ptr CDriver

-- | @void (*)(void *user_data, mesos_sched_driver *driver)@
type DriverCallback = Ptr () -> DriverPtr -> IO ()
-- | One byte string: @(user_data, driver, bytes, len)@.
type BytesCallback = Ptr () -> DriverPtr -> Ptr Word8 -> CSize -> IO ()
-- | Two byte strings.
type Bytes2Callback = Ptr () -> DriverPtr -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize -> IO ()
-- | An array of byte strings: @(user_data, driver, ptrs, lens, count)@.
type BytesArrayCallback = Ptr () -> DriverPtr -> Ptr (Ptr Word8) -> Ptr CSize -> CSize -> IO ()
-- | @framework_message@: executor id, agent id, data.
type FrameworkMessageCallback =
  Ptr () -> DriverPtr -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize -> IO ()
-- | @executor_lost@: executor id, agent id, status.
type ExecutorLostCallback = Ptr () -> DriverPtr -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize -> Int32 -> IO ()

-- | Wrap a Haskell function as a C function pointer (free with 'Foreign.Ptr.freeHaskellFunPtr').
foreign import ccall "wrapper" mkDriverCallback :: DriverCallback -> IO (FunPtr DriverCallback)
-- | See 'mkDriverCallback'.
foreign import ccall "wrapper" mkBytesCallback :: BytesCallback -> IO (FunPtr BytesCallback)
-- | See 'mkDriverCallback'.
foreign import ccall "wrapper" mkBytes2Callback :: Bytes2Callback -> IO (FunPtr Bytes2Callback)
-- | See 'mkDriverCallback'.
foreign import ccall "wrapper" mkBytesArrayCallback :: BytesArrayCallback -> IO (FunPtr BytesArrayCallback)
-- | See 'mkDriverCallback'.
foreign import ccall "wrapper" mkFrameworkMessageCallback :: FrameworkMessageCallback -> IO (FunPtr FrameworkMessageCallback)
-- | See 'mkDriverCallback'.
foreign import ccall "wrapper" mkExecutorLostCallback :: ExecutorLostCallback -> IO (FunPtr ExecutorLostCallback)

-- | The members of @mesos_sched_scheduler@ this binding fills; the
-- extensions (inverse offers, operation status, heartbeat) stay NULL.
data SchedulerVTable = SchedulerVTable
  { vtRegistered       :: FunPtr Bytes2Callback
  , vtReregistered     :: FunPtr BytesCallback
  , vtDisconnected     :: FunPtr DriverCallback
  , vtResourceOffers   :: FunPtr BytesArrayCallback
  , vtOfferRescinded   :: FunPtr BytesCallback
  , vtStatusUpdate     :: FunPtr BytesCallback
  , vtFrameworkMessage :: FunPtr FrameworkMessageCallback
  , vtSlaveLost        :: FunPtr BytesCallback
  , vtExecutorLost     :: FunPtr ExecutorLostCallback
  , vtError            :: FunPtr BytesCallback
  }

-- | @sizeof(mesos_sched_scheduler)@: @size_t struct_size@ then 14 function pointers.
schedulerStructSize :: Int
schedulerStructSize = sizeOf (0 :: CSize) + 14 * sizeOf (nullFunPtr :: FunPtr ())

-- | Write a complete @mesos_sched_scheduler@ at the pointer
-- ('schedulerStructSize' bytes).
pokeSchedulerVTable :: Ptr () -> SchedulerVTable -> IO ()
pokeSchedulerVTable p vt = do
  pokeByteOff p 0 (fromIntegral schedulerStructSize :: CSize)
  let slot i f = pokeByteOff p (sizeOf (0 :: CSize) + i * sizeOf (nullFunPtr :: FunPtr ())) f
      members =
        [ castFunPtrToPtr (vtRegistered vt), castFunPtrToPtr (vtReregistered vt)
        , castFunPtrToPtr (vtDisconnected vt), castFunPtrToPtr (vtResourceOffers vt)
        , castFunPtrToPtr (vtOfferRescinded vt), castFunPtrToPtr (vtStatusUpdate vt)
        , castFunPtrToPtr (vtFrameworkMessage vt), castFunPtrToPtr (vtSlaveLost vt)
        , castFunPtrToPtr (vtExecutorLost vt), castFunPtrToPtr (vtError vt) ]
  mapM_ (uncurry slot) (zip [0 ..] members)
  -- inverse_offers, inverse_offer_rescinded, operation_status, heartbeat
  mapM_ (\i -> slot i (castFunPtrToPtr (nullFunPtr :: FunPtr ()))) [10 .. 13]

-- | @mesos_sched_driver_new@
foreign import ccall safe "mesos_sched_driver_new"
  c_driver_new :: Ptr () -> Ptr () -> Ptr Word8 -> CSize -> CString -> Ptr Word8 -> CSize -> CBool
               -> Ptr DriverPtr -> IO Int32
-- | @mesos_sched_driver_set_option@
foreign import ccall safe "mesos_sched_driver_set_option"
  c_driver_set_option :: DriverPtr -> CString -> CString -> IO Int32
-- | @mesos_sched_driver_start@
foreign import ccall safe "mesos_sched_driver_start" c_driver_start :: DriverPtr -> IO Int32
-- | @mesos_sched_driver_stop@
foreign import ccall safe "mesos_sched_driver_stop" c_driver_stop :: DriverPtr -> CBool -> IO Int32
-- | @mesos_sched_driver_abort@
foreign import ccall safe "mesos_sched_driver_abort" c_driver_abort :: DriverPtr -> IO Int32
-- | @mesos_sched_driver_join@
foreign import ccall safe "mesos_sched_driver_join" c_driver_join :: DriverPtr -> IO Int32
-- | @mesos_sched_driver_run@
foreign import ccall safe "mesos_sched_driver_run" c_driver_run :: DriverPtr -> IO Int32
-- | @mesos_sched_driver_poll@ (poll mode): runs the pending callbacks on the
-- calling thread, so it must be @safe@.
foreign import ccall safe "mesos_sched_driver_poll"
  c_driver_poll :: DriverPtr -> Int32 -> Ptr CSize -> IO Int32
-- | @mesos_sched_driver_event_fd@ (poll mode)
foreign import ccall safe "mesos_sched_driver_event_fd"
  c_driver_event_fd :: DriverPtr -> Ptr CInt -> IO Int32
-- | @mesos_sched_driver_request_resources@
foreign import ccall safe "mesos_sched_driver_request_resources"
  c_driver_request_resources :: DriverPtr -> Ptr (Ptr Word8) -> Ptr CSize -> CSize -> IO Int32
-- | @mesos_sched_driver_launch_tasks@
foreign import ccall safe "mesos_sched_driver_launch_tasks"
  c_driver_launch_tasks :: DriverPtr -> Ptr (Ptr Word8) -> Ptr CSize -> CSize
                        -> Ptr (Ptr Word8) -> Ptr CSize -> CSize -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_kill_task@
foreign import ccall safe "mesos_sched_driver_kill_task"
  c_driver_kill_task :: DriverPtr -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_accept_offers@
foreign import ccall safe "mesos_sched_driver_accept_offers"
  c_driver_accept_offers :: DriverPtr -> Ptr (Ptr Word8) -> Ptr CSize -> CSize
                         -> Ptr (Ptr Word8) -> Ptr CSize -> CSize -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_decline_offer@
foreign import ccall safe "mesos_sched_driver_decline_offer"
  c_driver_decline_offer :: DriverPtr -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_revive_offers@
foreign import ccall safe "mesos_sched_driver_revive_offers"
  c_driver_revive_offers :: DriverPtr -> Ptr CString -> CSize -> IO Int32
-- | @mesos_sched_driver_suppress_offers@
foreign import ccall safe "mesos_sched_driver_suppress_offers"
  c_driver_suppress_offers :: DriverPtr -> Ptr CString -> CSize -> IO Int32
-- | @mesos_sched_driver_acknowledge_status_update@
foreign import ccall safe "mesos_sched_driver_acknowledge_status_update"
  c_driver_acknowledge_status_update :: DriverPtr -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_send_framework_message@
foreign import ccall safe "mesos_sched_driver_send_framework_message"
  c_driver_send_framework_message :: DriverPtr -> Ptr Word8 -> CSize -> Ptr Word8 -> CSize
                                  -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_reconcile_tasks@
foreign import ccall safe "mesos_sched_driver_reconcile_tasks"
  c_driver_reconcile_tasks :: DriverPtr -> Ptr (Ptr Word8) -> Ptr CSize -> CSize -> IO Int32
-- | @mesos_sched_driver_update_framework@
foreign import ccall safe "mesos_sched_driver_update_framework"
  c_driver_update_framework :: DriverPtr -> Ptr Word8 -> CSize -> Ptr CString -> CSize
                            -> Ptr Word8 -> CSize -> IO Int32
-- | @mesos_sched_driver_free@
foreign import ccall safe "mesos_sched_driver_free" c_driver_free :: DriverPtr -> IO ()
-- | @mesos_sched_driver_last_error@
foreign import ccall safe "mesos_sched_driver_last_error"
  c_driver_last_error :: DriverPtr -> Ptr CChar -> CSize -> IO CSize
-- | @mesos_sched_version@
foreign import ccall safe "mesos_sched_version" c_version :: IO CString
